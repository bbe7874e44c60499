"""payment.applied from collections marks an invoice paid once it is fully settled, exactly once; in a unit of
work, and through the real broker and consumer."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import TansuBroker
from o2c_cli.testing import Infra, serving
from o2c_common.db import Database
from o2c_common.events import TOPICS, Event
from o2c_common.events.contracts.collections import CashApplication, PaymentApplied
from o2c_common.events.examples import example_payload
from o2c_common.inbox.consumer import ConsumerStats
from o2c_common.kafka import ensure_topics
from o2c_invoicing.main import CONSUMER_GROUP, HANDLERS, create_app

from ..conftest import VIEWER, Service, settings_for
from ..portal import eventually


def applied(invoice: dict[str, object], amount: str, application_id: uuid.UUID | None = None) -> Event:
    payload = example_payload(
        PaymentApplied, payment_id=uuid.uuid4(), customer_id=invoice["customer_id"], currency=invoice["currency"],
        legal_entity=invoice["legal_entity"], applied_date=date(2026, 3, 1), unapplied_balance=Decimal(0),
        applications=(CashApplication(application_id=application_id or uuid.uuid4(),
                                      invoice_id=uuid.UUID(str(invoice["id"])),
                                      invoice_number=str(invoice["number"]), amount=Decimal(amount)),),
    )
    return Event.new(payload, source="/o2c/collections")


async def handle(service: Service, event: Event) -> None:
    async with service.app.state.transactions.begin(f"system:{CONSUMER_GROUP}") as tx:
        await HANDLERS[PaymentApplied](tx, event)


async def test_partial_then_full_payment_marks_paid_once(service: Service) -> None:
    invoice = await service.issued()
    total = Decimal(invoice["total_amount"])
    first = applied(invoice, str(total - Decimal("10.00")))
    await handle(service, first)
    assert await service.scalar("SELECT status FROM invoices WHERE id = :i", i=invoice["id"]) == "issued"
    await handle(service, applied(invoice, "10.00"))
    assert await service.scalar("SELECT status FROM invoices WHERE id = :i", i=invoice["id"]) == "paid"
    assert (await service.outbox_types()).count("invoice.paid") == 1

    assert isinstance(first.data, PaymentApplied)
    again = applied(invoice, "10.00", application_id=first.data.applications[0].application_id)
    await handle(service, again)  # an application already counted (redelivered under a new event id)
    assert Decimal(await service.scalar("SELECT paid_amount FROM invoices WHERE id = :i", i=invoice["id"])) == total
    assert (await service.outbox_types()).count("invoice.paid") == 1


async def test_cash_for_an_unknown_invoice_changes_nothing(service: Service) -> None:
    ghost = {"id": str(uuid.uuid4()), "number": "X-1", "customer_id": "C", "currency": "USD",
             "legal_entity": "US01"}
    await handle(service, applied(ghost, "5.00"))
    assert "invoice.paid" not in await service.outbox_types()


async def test_payment_applied_through_the_real_broker_settles_in_full_only(
    infra: Infra, inv_db: Database, own_broker: TansuBroker
) -> None:
    """Collections-shaped events published to the collections topic on a broker of the test's own (the session
    broker also feeds the e2e stack's invoicing group), consumed by the app's real consumer: a full settlement
    in two payments marks paid once, a partial one leaves the invoice open, a redelivered record adds nothing."""
    bootstrap = own_broker.bootstrap_servers
    await ensure_topics(bootstrap, list(TOPICS.values()), partitions=6, replication_factor=1)
    settings = settings_for(inv_db.url, infra, run_workers=True).model_copy(
        update={"kafka_bootstrap_servers": bootstrap})
    app = create_app(settings)
    async with serving(app, base_url="http://invoicing") as client:
        service = Service(app=app, client=client, db=inv_db, settings=settings)
        full, partial = await service.issued(), await service.issued()
        total = Decimal(str(full["total_amount"]))
        first = applied(full, str(total - Decimal("10.00")))
        events = [first, applied(full, "10.00"), applied(partial, "10.00"), first]  # the last: a redelivery
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(),
                                             headers=event.headers())
        finally:
            await producer.stop()
        consumer = app.state.workers.consumers[0]
        await eventually(lambda: _seen(consumer.stats, len(events)), limit_s=60)
        assert (consumer.stats.processed, consumer.stats.duplicates) == (3, 1)
        settled = (await client.get(f"/invoices/{full['id']}", headers=VIEWER)).json()
        still_open = (await client.get(f"/invoices/{partial['id']}", headers=VIEWER)).json()
    assert settled["status"] == "paid" and Decimal(settled["paid_amount"]) == total
    assert still_open["status"] == "issued" and still_open["paid_amount"] == "10.00"
    assert (await service.outbox_types()).count("invoice.paid") == 1


async def _seen(stats: ConsumerStats, expected: int) -> bool:
    return stats.processed + stats.duplicates >= expected
