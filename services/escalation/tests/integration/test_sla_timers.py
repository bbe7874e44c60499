"""Durable SLA timers: swept with SKIP LOCKED, escalating through the tiers, surviving restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from o2c_cli.testing import Infra
from o2c_escalation.main import create_app
from o2c_escalation.workers import sweep_timers_once
from services.escalation.tests.conftest import REQUESTER, SUPERVISOR, Service, settings_for

pytestmark = pytest.mark.integration


async def make_due(service: Service, case_id: str, clock: str) -> None:
    """Moves a timer's due instant into the past, as if its business hours had gone by."""
    await service.execute("UPDATE sla_timers SET due_at = now() - interval '1 minute' "
                         "WHERE case_id = :c AND clock = :k", c=case_id, k=clock)


async def sweep(service: Service) -> int:
    return await sweep_timers_once(service.app.state.transactions, settings=service.settings)


async def test_missed_acknowledge_escalates_through_l2_and_l3_then_expires(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a", severity="P1")
    assert await sweep(service) == 0  # nothing due yet

    await make_due(service, case["id"], "acknowledge")
    assert await sweep(service) == 1
    after = (await service.client.get(f"/cases/{case['id']}", headers=SUPERVISOR)).json()
    assert (after["tier"], after["owning_team"], after["breach_count"]) == ("L2", "ar-supervisors", 1)
    timer = await service.rows("SELECT status, consumed_seconds, team, due_at > now() FROM sla_timers "
                               "WHERE case_id = :c AND clock = 'acknowledge'", c=case["id"])
    assert [tuple(t) for t in timer] == [("running", 0, "ar-supervisors", True)]  # a fresh target in L2's calendar

    await make_due(service, case["id"], "acknowledge")
    assert await sweep(service) == 1
    await make_due(service, case["id"], "acknowledge")
    assert await sweep(service) == 1  # at L3: breach, nothing higher
    assert await sweep(service) == 0
    final = (await service.client.get(f"/cases/{case['id']}", headers=SUPERVISOR)).json()
    assert (final["tier"], final["owning_team"], final["breach_count"]) == ("L3", "service-delivery", 3)
    assert await service.outbox_types() == [
        "escalation.opened",
        "escalation.escalated", "escalation.sla_breached",
        "escalation.escalated", "escalation.sla_breached",
        "escalation.sla_breached",
    ]
    status = await service.scalar("SELECT status FROM sla_timers WHERE case_id = :c AND clock = 'acknowledge'",
                                  c=case["id"])
    assert status == "expired"
    history = (await service.client.get(f"/cases/{case['id']}/history", headers=SUPERVISOR)).json()
    assert [(o["tier"], o["reason"]) for o in history["ownership"]] == [
        ("L1", "routed"), ("L2", "acknowledge_sla_missed"), ("L3", "acknowledge_sla_missed")]
    breached = (await service.client.get("/views/breached", headers=SUPERVISOR)).json()
    assert [c["id"] for c in breached["items"]] == [case["id"]]


async def test_both_clocks_missed_in_one_sweep_escalate_the_case_once(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a", severity="P2")
    await make_due(service, case["id"], "acknowledge")
    await make_due(service, case["id"], "resolve")
    assert await sweep(service) == 2
    after = (await service.client.get(f"/cases/{case['id']}", headers=SUPERVISOR)).json()
    assert (after["tier"], after["breach_count"]) == ("L2", 2)
    assert await service.outbox_types() == [
        "escalation.opened", "escalation.escalated", "escalation.sla_breached", "escalation.sla_breached"]
    timers = await service.rows("SELECT clock, status, consumed_seconds, team, due_at > now() FROM sla_timers "
                                "WHERE case_id = :c ORDER BY clock", c=case["id"])
    assert [tuple(t) for t in timers] == [("acknowledge", "running", 0, "ar-supervisors", True),
                                          ("resolve", "running", 0, "ar-supervisors", True)]


async def test_acknowledged_case_does_not_fire_its_acknowledge_timer(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    assert (await service.transition(case["id"], "acknowledge", SUPERVISOR)).status_code == 200
    await service.execute("UPDATE sla_timers SET due_at = now() - interval '1 minute' WHERE case_id = :c",
                         c=case["id"])  # only the resolve timer is running
    assert await sweep(service) == 1
    assert await service.outbox_types() == ["escalation.opened", "escalation.acknowledged",
                                            "escalation.escalated", "escalation.sla_breached"]


async def test_waiting_on_requester_pauses_the_clocks(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    for action in ("acknowledge", "start", "wait_on_requester"):
        assert (await service.transition(case["id"], action, SUPERVISOR)).status_code == 200
    rows = await service.rows("SELECT clock, status, due_at FROM sla_timers WHERE case_id = :c ORDER BY clock",
                              c=case["id"])
    assert [(c, s, d) for c, s, d in rows] == [("acknowledge", "stopped", None), ("resolve", "paused", None)]
    assert await sweep(service) == 0
    resumed = await service.transition(case["id"], "resume", REQUESTER)  # the requester answers
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["resolve_due_at"] is not None


async def test_two_sweepers_never_fire_one_timer_twice(service: Service) -> None:
    cases = [await service.open_case(REQUESTER, owning_team="vendor-a") for _ in range(30)]
    await service.execute("UPDATE sla_timers SET due_at = now() - interval '1 minute' WHERE clock = 'acknowledge'")
    settings = service.settings.model_copy(update={"sweep_batch_size": 7})
    transactions = service.app.state.transactions

    async def sweeper() -> int:
        fired = 0
        while (n := await sweep_timers_once(transactions, settings=settings)) > 0:
            fired += n
        return fired

    totals = await asyncio.gather(sweeper(), sweeper(), sweeper())
    assert sum(totals) == len(cases)
    breaches = await service.scalar("SELECT count(*) FROM outbox WHERE event_type LIKE '%sla_breached%'")
    assert breaches == len(cases)
    assert await service.scalar("SELECT count(*) FROM cases WHERE tier = 'L2' AND breach_count = 1") == len(cases)


async def test_timers_fire_after_a_worker_restart(service: Service, infra: Infra) -> None:
    """A timer armed before the worker stopped fires when a new process's worker starts: nothing is in memory."""
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    await make_due(service, case["id"], "acknowledge")
    settings = settings_for(service.db.url, infra, run_workers=True, sweep_interval_s=0.05,
                            webhook_interval_s=0.05)
    app = create_app(settings)  # a fresh process: the worker knows only what is in the database
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        for _ in range(200):
            current = (await client.get(f"/cases/{case['id']}", headers=SUPERVISOR)).json()
            if current["tier"] == "L2":
                break
            await asyncio.sleep(0.05)
        assert current["tier"] == "L2"
    assert await service.scalar("SELECT count(*) FROM outbox WHERE event_type LIKE '%sla_breached%'") == 1


async def test_sweep_respects_its_instant(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a", severity="P4")
    due = await service.scalar("SELECT due_at FROM sla_timers WHERE case_id = :c AND clock = 'acknowledge'",
                               c=case["id"])
    assert due > datetime.now(UTC) - timedelta(seconds=1)
    assert await sweep(service) == 0
