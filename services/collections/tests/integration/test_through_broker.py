"""The invoicing events collections consumes, through the real broker (a broker of the test's own, so offsets and
consumer groups start clean): invoice.issued opens the receivable, credit_note.issued reduces it from the note's
issue date, a portal rejection contesting the charge opens a dispute (a correctable one does not), and records
delivered twice change nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_cli.testing import Infra
from o2c_collections.main import create_app
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued, InvoicePortalRejected
from o2c_common.kafka import ensure_topics
from services.collections.tests.conftest import SUPERVISOR, settings_for

NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)


def issued(invoice_id: uuid.UUID, number: str) -> InvoiceIssued:
    return InvoiceIssued(invoice_id=invoice_id, invoice_number=number, legal_entity="US01", customer_id="BRK",
                         currency="USD", amount=Decimal("100.00"), tax_amount=Decimal(0), issue_date=date(2026, 2, 1),
                         due_date=date(2026, 3, 3), issued_at=NOW, owning_team="vendor-a")


def credited(invoice_id: uuid.UUID) -> CreditNoteIssued:
    return CreditNoteIssued(invoice_id=invoice_id, invoice_number="BRK-1", legal_entity="US01", customer_id="BRK",
                            credit_note_id=uuid.uuid4(), credit_note_number="CN-1", currency="USD",
                            amount=Decimal("30.00"), tax_amount=Decimal(0), full=False, reason="pricing",
                            issue_date=date(2026, 2, 15), issued_at=NOW)


def rejected(invoice_id: uuid.UUID, number: str, *, contested: bool) -> InvoicePortalRejected:
    return InvoicePortalRejected(invoice_id=invoice_id, invoice_number=number, legal_entity="US01", customer_id="BRK",
                                 submission_id=uuid.uuid4(), attempt=1, channel="coupa", portal_reason_code="PRC",
                                 reason="price_mismatch" if contested else "missing_po",
                                 root_cause="pricing" if contested else "po", disputes_charge=contested,
                                 rejection_count=1, rejected_at=NOW)


async def test_credit_notes_and_contested_rejections_through_the_broker(
    infra: Infra, col_db: Database, own_broker: TansuBroker
) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    facts = [issued(one, "BRK-1"), issued(two, "BRK-2"), credited(one), rejected(one, "BRK-1", contested=False),
             rejected(two, "BRK-2", contested=True)]
    events = [Event.new(fact, source="/o2c/invoicing") for fact in facts]
    bootstrap = own_broker.bootstrap_servers
    await ensure_topics(bootstrap, [events[0].topic], partitions=6, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for event in [*events, events[2], events[4]]:  # the credit note and the rejection delivered twice
            await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(), headers=event.headers())
    finally:
        await producer.stop()
    settings = settings_for(col_db.url, infra, run_workers=True).model_copy(
        update={"kafka_bootstrap_servers": bootstrap})
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://collections") as client:
        consumer = app.state.workers.consumers[0]
        for _ in range(300):
            if consumer.stats.processed + consumer.stats.duplicates >= len(events) + 2:
                break
            await asyncio.sleep(0.1)
        first = (await client.get(f"/receivables/{one}", headers=SUPERVISOR)).json()
        ledger = (await client.get(f"/receivables/{one}/ledger", headers=SUPERVISOR)).json()
        before = (await client.get("/balances?as_of=2026-02-14&by=invoice", headers=SUPERVISOR)).json()["items"]
        disputes = (await client.get("/disputes", headers=SUPERVISOR)).json()["items"]
    assert first["open_amount"] == "70.00"  # 100 issued, 30 credited, once
    assert [(e["kind"], Decimal(e["amount"]), e["effective_date"]) for e in ledger] == [
        ("invoice", Decimal(100), "2026-02-01"), ("credit_note", Decimal(-30), "2026-02-15")]
    assert {b["key"]: b["open_amount"] for b in before}[str(one)] == "100.00"  # before the note's issue date
    assert [(d["invoice_id"], d["amount"], d["reason"], d["source"], d["root_cause"]) for d in disputes] == [
        (str(two), "100.00", "pricing", "portal_rejection", "pricing")]  # the correctable rejection: no dispute
    async with col_db.unit_of_work() as session:
        assert (await session.execute(text("SELECT count(*) FROM inbox"))).scalar() == len(events)
        held = (await session.execute(text("SELECT disputed_amount FROM open_items WHERE invoice_id = :i"),
                                      {"i": two})).scalar()
    assert held == Decimal("100.00")  # the disputed amount is held out of dunning and matching
