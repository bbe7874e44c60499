"""SLAs on any KPI (level metrics): DSO, CEI, auto-match rate, unapplied cash… judged once per closed window
(``o2c_kpi.sla.levels``): a breach when the window's value misses the target, a recovery when a later window meets
it, and nothing twice on a rerun."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from o2c_common.events import Event
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS
from o2c_kpi.sla.workers import check_levels_once
from services.kpi.tests.integration.conftest import invoice
from services.kpi.tests.sla.conftest import SUPERVISOR, Service, problem

pytestmark = pytest.mark.integration

DSO_SLA: dict[str, Any] = {
    "id": "dso-45", "name": "DSO at most 45 days per month", "metric": "dso", "scope_type": "global",
    "target": "45", "comparator": "le", "unit": "days", "window": "month", "severity": "P2"}


async def facts(service: Service, events: list[Event]) -> None:
    async with service.transactions.begin("system:kpi") as tx:
        for event in events:
            handler = FACT_HANDLERS.get(type(event.data))
            if handler is not None:
                await handler(tx, event)


async def check(service: Service, when: datetime) -> int:
    service.clock.move_to(when)
    return await check_levels_once(service.transactions, clock=service.clock)


async def test_a_dso_sla_breaches_recovers_and_judges_each_window_once(service: Service) -> None:
    created = await service.client.post("/sla-definitions", json=DSO_SLA, headers=SUPERVISOR)
    assert created.status_code == 201, created.text
    # March: AR 5,200 at the end, credit sales 3,100 -> DSO 5,200 / 3,100 x 31 = 52.00 days
    feb = invoice("2100.00", date(2026, 2, 10), date(2026, 3, 12))
    mar = invoice("3100.00", date(2026, 3, 2), date(2026, 4, 1))
    await facts(service, [*feb.issued(), *mar.issued()])

    assert await check(service, datetime(2026, 4, 3, 8, tzinfo=UTC)) == 1
    events = [(t, p) for t, p in await service.sla_events() if t.startswith("sla.")]
    assert [t for t, _ in events] == ["sla.breached"]
    breached = events[0][1]
    assert (breached["metric"], breached["actual"], breached["target"], breached["unit"]) == (
        "dso", "52.00", "45", "days")
    assert breached["window_start"].startswith("2026-03-01") and breached["breached_at"].startswith("2026-03-31")
    assert await check(service, datetime(2026, 4, 20, tzinfo=UTC)) == 0  # March was judged: a rerun does nothing
    assert [t for t, _ in await service.sla_events() if t.startswith("sla.")] == ["sla.breached"]

    # April: both paid, a new invoice of 1,000 open -> DSO 1,000 / 1,000 x 30 = 30.00 days: met, March recovers
    apr = invoice("1000.00", date(2026, 4, 5), date(2026, 5, 5))
    await facts(service, [*feb.paid("2100.00", date(2026, 4, 6)), *mar.paid("3100.00", date(2026, 4, 7)),
                          *apr.issued()])
    assert await check(service, datetime(2026, 5, 2, tzinfo=UTC)) == 1
    assert [t for t, _ in await service.sla_events() if t.startswith("sla.")] == ["sla.breached", "sla.recovered"]
    listed = (await service.client.get("/sla/breaches?metric=dso", headers=SUPERVISOR)).json()["items"]
    assert [(b["status"], b["actual"], b["recovered_actual"]) for b in listed] == [("recovered", "52.00", "30.00")]
    assert await check(service, datetime(2026, 5, 3, tzinfo=UTC)) == 0


async def test_level_metrics_are_listed_and_validated(service: Service) -> None:
    metrics = {m["name"]: m for m in (await service.client.get("/sla-metrics", headers=SUPERVISOR)).json()}
    for name in ("dso", "cei", "best_possible_dso", "add", "auto_match_rate", "unapplied_cash", "unapplied_cash_age",
                 "on_time_invoicing_rate", "rejection_rate", "open_disputes", "open_deductions", "backlog"):
        assert metrics[name]["kind"] == "level", name
    assert metrics["dso"]["units"] == ["days"] and metrics["unapplied_cash"]["units"] == ["money"]
    assert "month" in metrics["cei"]["windows"] and "item" not in metrics["cei"]["windows"]
    wrong_unit = {**DSO_SLA, "id": "dso-wrong", "unit": "percent"}
    assert problem(await service.client.post("/sla-definitions", json=wrong_unit, headers=SUPERVISOR), 422)
    per_item = {**DSO_SLA, "id": "dso-item", "window": "item"}
    assert problem(await service.client.post("/sla-definitions", json=per_item, headers=SUPERVISOR), 422)
    cei = {**DSO_SLA, "id": "cei-80", "metric": "cei", "unit": "percent", "target": "80", "comparator": "ge"}
    assert (await service.client.post("/sla-definitions", json=cei, headers=SUPERVISOR)).status_code == 201
