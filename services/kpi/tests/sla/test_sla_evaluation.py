"""SLA evaluation with a controllable clock: rate breaches and recoveries once per (definition, scope,
window); durable timers armed, stopped, fired, recovered; business days skip the weekend."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from o2c_kpi.sla.handlers import (
    on_dispute_opened_arm_resolution_timer,
    on_dispute_resolved_stop_resolution_timer,
)
from o2c_kpi.sla.workers import sweep_timers_once
from services.kpi.tests.sla.conftest import FRIDAY, SUPERVISOR, Service, approved, rejected, resubmitted

pytestmark = pytest.mark.integration

MONDAY_3PM = FRIDAY + timedelta(days=3)


async def define(service: Service, **overrides: Any) -> dict[str, Any]:
    body = {"id": "fpa-test", "name": "First pass >= 75 % per team, weekly", "metric": "first_pass_acceptance_rate",
            "scope_type": "team", "target": "75", "comparator": "ge", "unit": "percent", "window": "week",
            "min_sample": 2, "severity": "P2", **overrides}
    response = await service.client.post("/sla-definitions", json=body, headers=SUPERVISOR)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def sweep(service: Service) -> int:
    return await sweep_timers_once(service.transactions, settings=service.settings, clock=service.clock)


async def test_rate_sla_breaches_once_and_recovers_once_per_scope_and_window(service: Service) -> None:
    await define(service)
    monday = FRIDAY - timedelta(days=4)  # the ISO week 2026-W47 starts on Monday 16 November
    await service.handle(approved("vendor-a", monday), rejected("vendor-a", monday + timedelta(hours=1)))
    events = await service.sla_events()
    assert [t for t, _ in events] == ["sla.breached"]  # 1 of 2 = 50 % < 75 %
    fact = events[0][1]
    assert (fact["sla_id"], fact["scope_type"], fact["scope_value"], fact["owning_team"]) == (
        "fpa-test", "team", "vendor-a", "vendor-a")
    assert (fact["actual"], fact["target"], fact["comparator"], fact["unit"]) == ("50.00", "75", "ge", "percent")
    assert fact["window_start"].startswith("2026-11-16T00:00:00") and fact["window_end"].startswith("2026-11-23")
    assert fact["breach_key"] == "fpa-test|team:vendor-a|2026-11-16"

    await service.handle(rejected("vendor-a", monday + timedelta(hours=2)))  # 33 %: still the same breach
    await service.handle(approved("vendor-b", monday), rejected("vendor-b", monday))  # another team: its own
    assert [t for t, _ in await service.sla_events()] == ["sla.breached", "sla.breached"]

    # 1 of 3 so far; with 5 more approvals 6 of 8 = 75 %: recovered (the 6th changes nothing)
    await service.handle(*(approved("vendor-a", monday + timedelta(hours=3 + i)) for i in range(6)))
    events = await service.sla_events()
    assert [t for t, _ in events] == ["sla.breached", "sla.breached", "sla.recovered"]
    recovered = events[2][1]
    assert (recovered["breach_key"], recovered["actual"]) == ("fpa-test|team:vendor-a|2026-11-16", "75.00")
    assert recovered["breach_id"] == fact["breach_id"]

    await service.handle(*(rejected("vendor-a", monday + timedelta(hours=10 + i)) for i in range(3)))
    await service.handle(*(approved("vendor-a", monday + timedelta(hours=20 + i)) for i in range(6)))
    assert len(await service.sla_events()) == 3  # dipped and recovered again: once per window, nothing new

    await service.handle(approved("vendor-a", FRIDAY + timedelta(days=3)),
                         rejected("vendor-a", FRIDAY + timedelta(days=3)))  # next week: a new window
    events = await service.sla_events()
    assert [e[1]["breach_key"] for e in events][-1] == "fpa-test|team:vendor-a|2026-11-23"

    breaches = (await service.client.get("/sla/breaches?team=vendor-a", headers=SUPERVISOR)).json()
    assert [(b["window_start"][:10], b["status"]) for b in breaches["items"]] == [
        ("2026-11-23", "breached"), ("2026-11-16", "recovered")]
    first = (await service.client.get("/sla/breaches?team=vendor-a&limit=1", headers=SUPERVISOR)).json()
    second = (await service.client.get(f"/sla/breaches?team=vendor-a&limit=1&cursor={first['next_cursor']}",
                                       headers=SUPERVISOR)).json()
    assert [b["id"] for b in first["items"] + second["items"]] == [b["id"] for b in breaches["items"]]
    assert second["next_cursor"] is None
    recovered_only = (await service.client.get("/sla/breaches?status=recovered&metric=first_pass_acceptance_rate",
                                               headers=SUPERVISOR)).json()
    assert [b["breach_key"] for b in recovered_only["items"]] == ["fpa-test|team:vendor-a|2026-11-16"]
    assert recovered_only["items"][0]["recovered_actual"] == "75.00"
    assert (await service.client.get("/sla/breaches?since=2026-11-24", headers=SUPERVISOR)).json()["items"] == []


async def test_the_same_events_handled_again_emit_nothing(service: Service) -> None:
    await define(service)
    events = [approved("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY)]
    await service.handle(*events)
    await service.handle(*events)  # without the inbox: each outcome counts once by its event id
    assert [t for t, _ in await service.sla_events()] == ["sla.breached"]
    assert await service.scalar("SELECT total_count FROM sla_windows WHERE definition_id = 'fpa-test'") == 3


async def test_a_window_below_its_minimum_sample_does_not_breach(service: Service) -> None:
    await define(service, min_sample=3)
    await service.handle(rejected("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY))
    assert await service.sla_events() == []
    await service.handle(approved("vendor-a", FRIDAY))
    assert [t for t, _ in await service.sla_events()] == ["sla.breached"]


async def test_a_rejection_not_resubmitted_within_one_business_day_breaches_when_the_clock_passes(
        service: Service) -> None:
    rejection = rejected("vendor-a", FRIDAY)  # Friday 15:00: due Monday 15:00, the weekend does not count
    await service.handle(rejection)
    due = await service.scalar("SELECT due_at FROM sla_timers WHERE definition_id = "
                               "'portal-rejection-resubmitted-1bd'")
    assert due == MONDAY_3PM

    service.clock.move_to(MONDAY_3PM - timedelta(minutes=1))
    assert await sweep(service) == 0
    assert await service.sla_events() == []
    service.clock.move_to(MONDAY_3PM)
    assert await sweep(service) == 1
    assert await sweep(service) == 0  # fired once
    events = await service.sla_events()
    assert [t for t, _ in events] == ["sla.breached"]
    fact = events[0][1]
    assert (fact["sla_id"], fact["subject_type"], fact["subject_id"], fact["owning_team"], fact["actual"]) == (
        "portal-rejection-resubmitted-1bd", "invoice", str(rejection.data.invoice_id), "vendor-a", None)  # type: ignore[attr-defined]
    assert fact["breached_at"].startswith("2026-11-23T15:00:00")

    await service.handle(resubmitted(rejection, MONDAY_3PM + timedelta(hours=2)))  # late: the breach stays
    assert [t for t, _ in await service.sla_events()] == ["sla.breached"]
    assert await service.scalar("SELECT status FROM sla_timers") == "late"


async def test_a_rejection_resubmitted_in_time_never_fires(service: Service) -> None:
    rejection = rejected("vendor-a", FRIDAY)
    await service.handle(rejection, resubmitted(rejection, FRIDAY + timedelta(days=3, minutes=-5)))
    service.clock.move_to(FRIDAY + timedelta(days=30))
    assert await sweep(service) == 0
    assert await service.sla_events() == []
    assert await service.scalar("SELECT status FROM sla_timers") == "met"


async def test_a_resubmission_consumed_after_the_timer_fired_recovers_the_breach(service: Service) -> None:
    rejection = rejected("vendor-a", FRIDAY)
    await service.handle(rejection)
    service.clock.move_to(MONDAY_3PM + timedelta(minutes=5))
    assert await sweep(service) == 1
    await service.handle(resubmitted(rejection, MONDAY_3PM - timedelta(minutes=10)))  # stamped in time, came late
    events = await service.sla_events()
    assert [t for t, _ in events] == ["sla.breached", "sla.recovered"]
    assert events[1][1]["actual"] == "0.99"  # business days from Friday 15:00 to Monday 14:50


async def test_a_resubmission_seen_before_its_rejection_arms_nothing(service: Service) -> None:
    rejection = rejected("vendor-a", FRIDAY)
    await service.handle(resubmitted(rejection, FRIDAY + timedelta(hours=2)), rejection)  # out of order
    service.clock.move_to(FRIDAY + timedelta(days=30))
    assert await sweep(service) == 0
    assert await service.sla_events() == []
    rows = await service.rows("SELECT status, armed_at IS NOT NULL FROM sla_timers")
    assert [tuple(r) for r in rows] == [("met", True)]


async def test_a_cancelled_invoice_stops_its_timer(service: Service) -> None:
    from o2c_common.events.contracts.invoicing import InvoiceCancelled
    from services.kpi.tests.sla.conftest import wrap

    rejection = rejected("vendor-a", FRIDAY)
    fact = rejection.data
    await service.handle(rejection, wrap(InvoiceCancelled(
        invoice_id=fact.invoice_id, legal_entity="US01", customer_id="CUST-1", currency="USD",  # type: ignore[attr-defined]
        amount="100.00", previous_status="portal_rejected", reason="duplicate", cancelled_by="sue",
        cancelled_at=FRIDAY + timedelta(hours=1))))
    service.clock.move_to(FRIDAY + timedelta(days=30))
    assert await sweep(service) == 0
    assert await service.scalar("SELECT status FROM sla_timers") == "cancelled"


async def test_attainment_per_team_counts_windows_and_timers(service: Service) -> None:
    await define(service)
    monday = FRIDAY - timedelta(days=4)
    await service.handle(approved("vendor-a", monday), rejected("vendor-a", monday))  # W47: missed
    next_monday = monday + timedelta(days=7)
    await service.handle(approved("vendor-a", next_monday), approved("vendor-a", next_monday))  # W48: met
    late = rejected("vendor-a", FRIDAY)
    quick = rejected("vendor-a", FRIDAY)
    await service.handle(late, quick, resubmitted(quick, FRIDAY + timedelta(hours=1)))
    service.clock.move_to(FRIDAY + timedelta(days=5))
    assert await sweep(service) == 2  # the W47 rejection and the late one; the quick one was resubmitted

    response = await service.client.get("/sla/attainment?team=vendor-a&period=2026-11", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    rows = {r["definition_id"]: (r["met"], r["total"], r["attainment_percent"])
            for r in response.json()["definitions"]}
    assert rows["fpa-test"] == (1, 2, "50.00")
    assert rows["portal-rejection-resubmitted-1bd"] == (1, 3, "33.33")
    assert rows["first-pass-acceptance-weekly"] == (0, 0, None)  # seeded: windows below its minimum sample
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-11-01", "2026-11-30")


async def test_a_late_resubmission_seen_before_its_rejection_still_breaches(service: Service) -> None:
    rejection = rejected("vendor-a", FRIDAY)
    await service.handle(resubmitted(rejection, MONDAY_3PM + timedelta(hours=1)), rejection)  # out of order, late
    events = await service.sla_events()
    assert [t for t, _ in events] == ["sla.breached"]
    assert events[0][1]["breached_at"].startswith("2026-11-23T15:00:00")
    assert await service.scalar("SELECT status FROM sla_timers") == "late"
    service.clock.move_to(FRIDAY + timedelta(days=30))
    assert await sweep(service) == 0


async def test_dispute_timers_skip_configured_holidays(service: Service) -> None:
    import uuid

    from o2c_common.events.contracts.collections import DisputeOpened, DisputeResolved
    from services.kpi.tests.sla.conftest import wrap

    dispute = {"legal_entity": "US01", "customer_id": "CUST-1", "owning_team": "vendor-a", "dispute_id": uuid.uuid4(),
               "currency": "USD", "amount": "80.00", "reason": "pricing"}
    holidays = (date(2026, 12, 4),)  # the 10th business day
    opened = wrap(DisputeOpened(**dispute, source="collector", opened_date=FRIDAY.date(), opened_at=FRIDAY))
    async with service.transactions.begin("system:kpi-sla") as tx:
        await on_dispute_opened_arm_resolution_timer(tx, opened, holidays=holidays)
    due = await service.scalar("SELECT due_at FROM sla_timers WHERE definition_id = 'dispute-resolved-10bd'")
    assert due == FRIDAY + timedelta(days=17)  # 10 business days and the holiday: Monday 7 December 15:00
    resolved = wrap(DisputeResolved(**dispute, outcome="credited", credited_amount="80.00", root_cause="pricing",
                                    resolved_by="carl", opened_at=FRIDAY, resolved_date=date(2026, 12, 7),
                                    resolved_at=due - timedelta(minutes=1)))
    async with service.transactions.begin("system:kpi-sla") as tx:
        await on_dispute_resolved_stop_resolution_timer(tx, resolved, holidays=holidays)
    service.clock.move_to(FRIDAY + timedelta(days=60))
    assert await sweep(service) == 0
    assert await service.scalar("SELECT status FROM sla_timers") == "met"


async def test_metrics_catalog(service: Service) -> None:
    metrics = {m["name"]: m for m in (await service.client.get("/sla-metrics", headers=SUPERVISOR)).json()}
    assert metrics["time_to_resubmit"]["kind"] == "timer" and metrics["time_to_resubmit"]["windows"] == ["item"]
    assert metrics["first_pass_acceptance_rate"]["units"] == ["percent"]


async def test_a_batch_in_one_transaction_counts_every_outcome(service: Service) -> None:
    """The consumer's fast path handles a whole partition batch in one session."""
    await define(service, min_sample=4)
    table = service.handlers
    batch = [approved("vendor-a", FRIDAY), approved("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY),
             rejected("vendor-a", FRIDAY), *(approved("vendor-a", FRIDAY) for _ in range(4))]
    async with service.transactions.begin("system:kpi-sla") as tx:
        for event in batch:
            await table[type(event.data)](tx, event)
    rows = await service.rows("SELECT met_count, total_count FROM sla_windows WHERE definition_id = 'fpa-test'")
    assert [tuple(r) for r in rows] == [(6, 8)]
    events = await service.sla_events()
    assert [(t, e["actual"]) for t, e in events] == [("sla.breached", "50.00"), ("sla.recovered", "75.00")]


async def test_concurrent_sweepers_fire_each_timer_once(service: Service) -> None:
    import asyncio

    await service.handle(*(rejected("vendor-a", FRIDAY) for _ in range(30)))
    service.clock.move_to(MONDAY_3PM + timedelta(minutes=1))
    settings = service.settings.model_copy(update={"sla_sweep_batch_size": 7})

    async def sweeper() -> int:
        fired = 0
        while (n := await sweep_timers_once(service.transactions, settings=settings, clock=service.clock)) > 0:
            fired += n
        return fired

    breached = "SELECT count(*) FROM outbox WHERE event_type = 'o2c.sla.breached.v1'"
    before = await service.scalar(breached)  # the seeded weekly first-pass SLA: 30 first rejections, 0 approvals
    assert await service.scalar("SELECT count(*) FROM sla_timers WHERE status = 'armed'") == 30
    assert sum(await asyncio.gather(sweeper(), sweeper(), sweeper())) == 30
    assert await service.scalar(breached) == before + 30
    assert await service.scalar("SELECT count(*) FROM sla_breaches WHERE subject_type = 'invoice'") == 30
    assert await service.scalar("SELECT count(*) FROM sla_timers WHERE status = 'breached'") == 30
