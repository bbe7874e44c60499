"""Daily snapshots: a periodic step storing each finished day's headline KPIs, globally and per team, once.

The day's run row is inserted ``ON CONFLICT DO NOTHING`` in the transaction that stores the values: a second
replica or a restarted one finds it and does nothing, so each day is taken exactly once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from o2c_common.money import round_money
from o2c_common.periodic import PeriodicStep
from o2c_common.tx import Transactions, Tx
from o2c_kpi.clock import Clock
from o2c_kpi.kpis.schemas import Period, Scope, Unit
from o2c_kpi.kpis.service import compute
from o2c_kpi.permissions import team_in_view
from o2c_kpi.reports import repository
from o2c_kpi.reports.models import SnapshotValue
from o2c_kpi.reports.schemas import SnapshotValueRead
from o2c_kpi.sla import repository as sla_repository

STEP = "report-daily-snapshot"
BACKFILL_DAYS = 7
"""Days a restarted service catches up on (a longer outage leaves older days out; GET /kpis computes any day)."""
SNAPSHOT_KPIS = ("ar_balance", "past_due_ar", "credit_sales", "dso", "cei", "cash_received", "unapplied_cash",
                 "open_deductions", "on_time_invoicing_rate", "first_pass_acceptance_rate", "backlog")


async def take(tx: Tx, *, day: date, clock: Clock) -> int | None:
    """Stores ``day``'s headline KPIs for every scope; None when the day was taken before."""
    if not await repository.claim_day(tx.session, day=day, taken_at=clock()):
        return None
    scopes: list[tuple[str, Scope]] = [("global", Scope())]
    scopes += [(f"team:{team}", Scope(team=team)) for team in await sla_repository.known_teams(tx.session)]
    rows: list[dict[str, Any]] = []
    for key, scope in scopes:
        for value in await compute(tx, names=SNAPSHOT_KPIS, period=Period.day(day), scope=scope):
            rows.append({"day": day, "scope_key": key, "name": value.name, "currency": value.currency or "",
                         "dimension": value.dimension or "", "unit": value.unit, "value": value.value})
    await repository.add_values(tx.session, day=day, rows=rows)
    return len(rows)


async def take_due(transactions: Transactions, *, clock: Clock, backfill_days: int = BACKFILL_DAYS) -> int:
    """The periodic step: the oldest day not yet taken among the last ``backfill_days`` (yesterday included, by the
    clock, UTC), one day per transaction; returns 1 when it took one (the step then runs again at once)."""
    yesterday = clock().date() - timedelta(days=1)
    async with transactions.begin(f"system:{STEP}") as tx:
        taken = await repository.taken_days(tx.session, since=yesterday - timedelta(days=backfill_days - 1))
        missing = [yesterday - timedelta(days=n) for n in reversed(range(backfill_days))
                   if yesterday - timedelta(days=n) not in taken]
        if not missing:
            return 0
        return 1 if await take(tx, day=missing[0], clock=clock) is not None else 0


def snapshot_steps(*, transactions: Transactions, clock: Clock, interval_s: float) -> list[PeriodicStep]:
    return [PeriodicStep(STEP, interval_s, lambda: take_due(transactions, clock=clock))]


async def list_values(tx: Tx, *, since: date, until: date, team: str | None,
                      names: list[str] | None) -> list[SnapshotValueRead]:
    team = team_in_view(tx.actor, team, what="snapshots")
    rows = await repository.snapshot_values(tx.session, since=since, until=until,
                                            scope_key=f"team:{team}" if team else None, names=names)
    return [SnapshotValueRead(day=r.day, scope=r.scope_key, name=r.name, unit=r.unit, currency=r.currency or None,
                              dimension=r.dimension or None, value=None if r.value is None else _plain(r))
            for r in rows]


def _plain(row: SnapshotValue) -> str:
    """The stored value as the KPI gave it: money to its currency's minor unit, the rest to 0.01."""
    assert row.value is not None
    if row.unit == Unit.MONEY and row.currency:
        return str(round_money(row.value, row.currency))
    return str(row.value.quantize(Decimal("0.01")))
