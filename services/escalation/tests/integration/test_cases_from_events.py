"""Cases opened from events: thresholds, one open case per source key, duplicates and replays, the real broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.collections import BalanceOverdueEscalated, PromiseToPayBroken
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.events.contracts.kpi import SlaBreached
from o2c_common.kafka import ensure_topics
from o2c_escalation.cases.handlers import handlers
from o2c_escalation.main import create_app
from services.escalation.tests.conftest import SUPERVISOR, Service, settings_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def sla_breached(key: str = "sla-1:team:vendor-a:2026-11") -> SlaBreached:
    return SlaBreached(breach_key=key, breach_id=uuid.uuid5(uuid.NAMESPACE_URL, key), sla_id="sla-1",
                       sla_name="First-pass acceptance", metric="first_pass_acceptance_rate", unit="percent",
                       scope_type="team", scope_value="vendor-a", comparator="ge", target=Decimal("95"),
                       severity="P2", owning_team="vendor-a", window_start=NOW, window_end=NOW, actual=Decimal("80"),
                       breached_at=NOW)


def rejected(invoice_id: uuid.UUID, count: int) -> InvoicePortalRejected:
    return InvoicePortalRejected(invoice_id=invoice_id, invoice_number="INV-1", legal_entity="US01", customer_id="C1",
                                 owning_team="vendor-b", submission_id=uuid.uuid4(), attempt=count, channel="coupa",
                                 portal_reason_code="PO-404", reason="invalid_po",
                                 root_cause="po", rejection_count=count, rejected_at=NOW)


def broken(customer: str, count: int) -> PromiseToPayBroken:
    return PromiseToPayBroken(legal_entity="US01", customer_id=customer, promise_id=uuid.uuid4(), currency="USD",
                              amount=Decimal("100.00"), paid_amount=Decimal("0"), promised_date=date(2026, 11, 1),
                              broken_count=count, decided_at=NOW)


def overdue(breach_id: uuid.UUID) -> BalanceOverdueEscalated:
    return BalanceOverdueEscalated(legal_entity="US01", customer_id="C9", breach_id=breach_id, rule_id="r1",
                                   rule_name="90+ days", currency="EUR", overdue_amount=Decimal("12500.00"),
                                   max_days_past_due=95, as_of_date=date(2026, 11, 20), escalated_at=NOW,
                                   severity="P1")


async def handle(service: Service, payload: EventPayload) -> None:
    """Runs the consumer's handler for one event inside a unit of work, as the consumer does."""
    handler = handlers(service.settings)[type(payload)]
    event = Event.new(payload, source="/o2c/tests")
    async with service.app.state.transactions.begin("system:escalation") as tx:
        await handler(tx, event)


async def test_each_source_opens_one_case_and_duplicates_never_a_second(service: Service) -> None:
    invoice = uuid.uuid4()
    breach = uuid.uuid4()
    for payload in [sla_breached(), sla_breached(),  # same breach twice (different event ids)
                    rejected(invoice, 1), rejected(invoice, 2), rejected(invoice, 3), rejected(invoice, 4),
                    broken("C1", 1), broken("C1", 2), broken("C1", 3),
                    overdue(breach), overdue(breach)]:
        await handle(service, payload)
    rows = await service.rows("SELECT source, source_key, owning_team, severity, category FROM cases ORDER BY seq")
    assert [tuple(r) for r in rows] == [
        ("sla_breached", "sla_breached:sla-1:team:vendor-a:2026-11", "vendor-a", "P2", "portal"),
        ("portal_rejections", f"portal_rejections:{invoice}", "vendor-b", "P3", "portal"),
        ("broken_promises", "broken_promises:US01:C1", "l1-desk", "P3", "collections"),
        ("balance_overdue", f"balance_overdue:{breach}", "l1-desk", "P1", "collections"),
    ]
    assert (await service.outbox_types()).count("escalation.opened") == 4


async def test_a_closed_case_frees_its_source_key(service: Service) -> None:
    await handle(service, sla_breached("k-closed"))
    case_id = await service.scalar("SELECT id FROM cases")
    await service.execute("UPDATE cases SET status = 'closed' WHERE id = :c", c=case_id)
    await handle(service, sla_breached("k-closed"))
    assert await service.scalar("SELECT count(*) FROM cases") == 2


async def test_concurrent_duplicates_open_one_case(service: Service) -> None:
    await asyncio.gather(*(handle(service, sla_breached("k-race")) for _ in range(5)))
    assert await service.scalar("SELECT count(*) FROM cases") == 1


async def test_routing_rule_picks_the_l1_team_when_the_account_owner_is_unknown(service: Service) -> None:
    rule = {"name": "collections EU", "priority": 5, "category": "collections", "team": "vendor-eu"}
    created = await service.client.post("/routing-rules", json=rule, headers=SUPERVISOR)
    assert created.status_code == 201, created.text
    await handle(service, broken("C7", 2))
    assert await service.scalar("SELECT owning_team FROM cases") == "vendor-eu"


async def test_events_through_the_real_broker_open_one_case_even_when_replayed(
    infra: Infra, esc_db: Database, own_broker: TansuBroker
) -> None:
    """On a broker of its own: the session broker also feeds the e2e stack's escalation consumer group."""
    bootstrap = own_broker.bootstrap_servers
    topic_events = [Event.new(sla_breached("k-broker"), source="/o2c/kpi")]
    topic_events.append(topic_events[0])  # the same record delivered twice (a replay)
    topic_events.append(Event.new(sla_breached("k-broker"), source="/o2c/kpi"))  # a duplicate fact, new id
    await ensure_topics(bootstrap, ["o2c.kpi.events"], partitions=6, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for event in topic_events:
            await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(), headers=event.headers())
    finally:
        await producer.stop()
    settings = settings_for(esc_db.url, infra, run_workers=True).model_copy(
        update={"kafka_bootstrap_servers": bootstrap})
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        for _ in range(300):
            page = (await client.get("/cases", headers=SUPERVISOR)).json()
            consumer = app.state.workers.consumers[0]
            if page["items"] and consumer.stats.processed + consumer.stats.duplicates >= 3:
                break
            await asyncio.sleep(0.1)
        assert [c["source_key"] for c in page["items"]] == ["sla_breached:k-broker"]
    async with esc_db.unit_of_work() as session:
        inbox = (await session.execute(text("SELECT count(*) FROM inbox"))).scalar()
    assert inbox == 2  # two distinct event ids recorded, one case

