"""The review's tiles and narrative rules (no I/O): whether a move is good depends on the KPI, the closest SLA is
the target, and the summary stays 3 to 6 sentences whatever the numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from o2c_kpi.kpis.schemas import KpiValue, Unit
from o2c_kpi.reports.review import narrative, pick_target, tiles
from o2c_kpi.reports.schemas import TeamAttainment

DAY = date(2026, 11, 30)


def kpi(name: str, value: str | None, unit: Unit = Unit.DAYS, currency: str | None = "USD") -> KpiValue:
    return KpiValue(name=name, value=None if value is None else Decimal(value), unit=unit, currency=currency,
                    period_start=date(2026, 11, 1), period_end=DAY, as_of=DAY)


def sla(id_: str, metric: str, scope_type: str, scope_value: str | None, target: str, comparator: str) -> Any:
    return SimpleNamespace(id=id_, metric=metric, scope_type=scope_type, scope_value=scope_value,
                           target=Decimal(target), comparator=comparator)


def test_down_is_good_for_dso_and_up_for_cash_and_ar_is_neither() -> None:
    now = [kpi("dso", "40"), kpi("cash_received", "900", Unit.MONEY), kpi("ar_balance", "5000", Unit.MONEY)]
    before = [kpi("dso", "45"), kpi("cash_received", "1000", Unit.MONEY), kpi("ar_balance", "4000", Unit.MONEY)]
    by_name = {t.name: t for t in tiles(now, before, [], team=None)}
    assert (by_name["dso"].direction, by_name["dso"].good) == ("down", True)
    assert (by_name["cash_received"].direction, by_name["cash_received"].good) == ("down", False)
    assert (by_name["ar_balance"].direction, by_name["ar_balance"].good) == ("up", None)
    assert by_name["dso"].title == "DSO (standard)" and by_name["cash_received"].shown == "900.00 USD"


def test_the_team_s_own_sla_is_the_target_before_every_team_s_and_the_global_one() -> None:
    slas = [sla("g", "dso", "global", None, "50", "le"), sla("all", "dso", "team", None, "45", "le"),
            sla("own", "dso", "team", "vendor-a", "40", "le"), sla("other", "dso", "team", "vendor-b", "30", "le")]
    assert pick_target(slas, "dso", "vendor-a").id == "own"
    assert pick_target(slas, "dso", "vendor-c").id == "all"
    assert pick_target(slas, "dso", None).id == "g"
    assert pick_target([slas[3]], "dso", None) is None  # another team's SLA is no target for all teams
    [tile] = tiles([kpi("dso", "42")], [], slas, team="vendor-a")
    assert (tile.target_shown, tile.on_target) == ("≤ 40 days", False)


def test_the_summary_is_three_to_six_sentences() -> None:
    quiet = narrative([], [], breaches=0)
    assert 3 <= len(quiet) <= 6 and quiet[0] == "No headline KPI moved since the previous period."
    moved = tiles([kpi("dso", "40"), kpi("backlog", "12", Unit.COUNT, None)],
                  [kpi("dso", "45"), kpi("backlog", "10", Unit.COUNT, None)], [], team=None)
    team = TeamAttainment(team="vendor-b", met=1, total=2, breaches=2, attainment_percent="50.00", definitions=[])
    busy = narrative(moved, [team], breaches=2, at_risk=[f"Risk {n}." for n in range(9)])
    assert len(busy) == 6
    assert busy[0] == "Backlog rose from 10 to 12 (worse)."  # 20 % moves more than DSO's 11 %
    assert busy[2] == "vendor-b breached its SLAs 2 times (attainment 50 %)."
    assert narrative(moved, [team], breaches=2) == narrative(moved, [team], breaches=2)
