"""The consumer on the real broker: other services' events become work items, samples and contingency
invocations, once each even when a record is delivered twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import TansuBroker
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts.collections import DisputeResolved
from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.events.examples import example_payload
from o2c_common.kafka import ensure_topics
from o2c_workforce.main import create_app
from services.workforce.tests.conftest import SUPERVISOR, settings_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


async def test_events_through_the_real_broker_are_handled_once(infra: Infra, wf_db: Database,
                                                                own_broker: TansuBroker) -> None:
    bootstrap = own_broker.bootstrap_servers
    resolved = Event.new(example_payload(DisputeResolved, dispute_id=uuid.uuid4(), owning_team="vendor-a",
                                         resolved_by="ana", opened_at=NOW - timedelta(minutes=30),
                                         resolved_at=NOW), source="/o2c/collections")
    case = Event.new(example_payload(EscalationOpened, case_id=uuid.uuid4(), category="portal", owning_team="vendor-a",
                                     opened_at=NOW), source="/o2c/escalation")
    await ensure_topics(bootstrap, ["o2c.collections.events", "o2c.escalation.events", "o2c.invoicing.events",
                                    "o2c.kpi.events"], partitions=6, replication_factor=1)
    settings = settings_for(wf_db.url, infra, run_workers=True).model_copy(
        update={"kafka_bootstrap_servers": bootstrap})
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://workforce") as client:
        plan = await client.post("/contingency-plans", headers=SUPERVISOR, json={
            "name": "Portal outage", "process": "invoice_submission", "trigger": "escalation_opened",
            "match": "portal", "owner": "lee", "steps": ["Switch to e-mail delivery"]})
        assert plan.status_code == 201, plan.text
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
        await producer.start()
        try:
            for event in (resolved, resolved, case):  # the first record delivered twice
                await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(),
                                             headers=event.headers())
        finally:
            await producer.stop()
        consumer = app.state.workers.consumers[0]
        for _ in range(300):
            if consumer.stats.processed + consumer.stats.duplicates >= 3:
                break
            await asyncio.sleep(0.1)
        rows = (await client.get("/productivity", headers=SUPERVISOR, params={
            "since": (NOW - timedelta(days=1)).isoformat(), "until": (NOW + timedelta(days=1)).isoformat()})).json()
        assert [(r["agent"], r["items"], r["average_handling_minutes"]) for r in rows] == [("ana", 1, "30.00")]
        invoked = (await client.get(f"/contingency-plans/{plan.json()['id']}/invocations",
                                    headers=SUPERVISOR)).json()
        assert [i["source_key"] for i in invoked] == [f"escalation:{case.data.case_id}"]
        backlog = (await client.get("/backlog", headers=SUPERVISOR)).json()
        assert [(b["process"], b["open_items"]) for b in backlog] == [("case_handling", 1)]
