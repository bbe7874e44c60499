"""The capacity outlook published for kpi's reviews: each queue's next working days (forecast arrivals, agents
required and rostered, the gap) as capacity.outlook_published, on demand (POST /capacity/outlook:publish, managers
only, audited) and by the daily step; the same figures as the capacity plan of the worked example."""

from __future__ import annotations

import json
from typing import Any

import pytest

from o2c_common.events.contracts.workforce import CapacityOutlookPublished
from o2c_workforce.workers import capacity_outlook_step
from services.workforce.tests.conftest import AGENT_A, SUPERVISOR, Service, problem
from services.workforce.tests.integration.test_capacity import worked_example

pytestmark = pytest.mark.integration
WEEK = ["2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-25"]


async def published(service: Service) -> list[dict[str, Any]]:
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = 'o2c.capacity.outlook_published.v1' "
                              "ORDER BY id")
    return [json.loads(bytes(payload)) for (payload,) in rows]


async def test_outlook_of_every_queue_on_demand_and_by_the_daily_step(service: Service) -> None:
    step = capacity_outlook_step(service.app.state.transactions, service.settings)
    assert await step.run() == 0  # no queue yet: nothing published, nothing audited
    assert await service.rows("SELECT action FROM audit_log WHERE action = 'capacity_outlook.published'") == []
    await worked_example(service)
    await service.client.put("/capacity/queues/cash_application", json={"model": "workload"},  # nothing measured
                             headers=SUPERVISOR)
    request = {"start": "2026-12-19", "history_weeks": 4}  # a Saturday: the outlook starts on Monday the 21st
    assert problem(await service.client.post("/capacity/outlook:publish", json=request, headers=AGENT_A), 403)
    answer = await service.post("/capacity/outlook:publish", request)
    assert [(q["process"], [d["day"] for d in q["days"]]) for q in answer["published"]] == [
        ("case_handling", WEEK), ("invoice_submission", WEEK)]
    assert [s["process"] for s in answer["skipped"]] == ["cash_application"]
    assert "handling" in answer["skipped"][0]["reason"]

    plan = await service.post("/capacity/plan", {"process": "case_handling", "start": WEEK[0], "days": 5,
                                                 "history_weeks": 4})
    events = await published(service)
    assert [(e["process"], e["team"], e["model"]) for e in events] == [
        ("case_handling", "vendor-a", "erlang_c"), ("invoice_submission", "vendor-a", "workload")]
    assert [(d["day"], d["forecast_arrivals"], d["required_agents"], d["rostered_agents"], d["gap"])
            for d in events[0]["days"]] == [
        (d["day"], d["forecast_arrivals"], d["required_agents"], d["rostered_agents"], d["gap"]) for d in plan["days"]]
    CapacityOutlookPublished.model_validate(events[0])  # the contract holds
    assert await service.rows("SELECT actor FROM audit_log WHERE action = 'capacity_outlook.published'") == [
        ("sue",)]

    # the daily step publishes the same way (from tomorrow), in the name of the system
    assert await step.run() == 2
    assert len(await published(service)) == 4
    assert ("system:capacity-outlook",) in await service.rows(
        "SELECT actor FROM audit_log WHERE action = 'capacity_outlook.published'")
