"""Issue 12, A1: settlement is the AR ledger's. A portal's "paid" is the customer's word (paid_by_customer,
invoice.customer_reported_paid) and settles nothing; the settlement status is mirrored only from collections'
receivable.changed (cash, reversals, credits, write-offs), idempotent and safe against late entries; every
test ends with invoicing's figures equal to the ledger's, as GET /settlements shows them."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import TansuBroker
from o2c_cli.testing import Infra, serving
from o2c_common.db import Database
from o2c_common.events import TOPICS
from o2c_common.kafka import ensure_topics
from o2c_invoicing.config import DEV_CALLBACK_SECRET
from o2c_invoicing.invoices import repository
from o2c_invoicing.invoices.lifecycle import move
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.main import create_app
from o2c_invoicing.submissions.models import Submission, SubmissionStatus
from o2c_invoicing.submissions.signing import signed_headers
from services.invoicing.tests.conftest import (
    INTEGRATION,
    PREPARER,
    SUPERVISOR,
    VIEWER,
    Service,
    problem,
    settings_for,
)
from services.invoicing.tests.ledger import Ledger, handle
from services.invoicing.tests.portal import eventually

pytestmark = pytest.mark.integration


async def at_portal(service: Service, invoice_id: str, status: str = "portal_approved") -> str:
    """The invoice submitted once and at ``status`` at its portal; returns the portal reference."""
    reference = f"REF-{invoice_id}"
    async with service.app.state.transactions.begin("system:test") as tx:
        invoice = await repository.get(tx.session, invoice_id=uuid.UUID(invoice_id), for_update=True)
        assert invoice is not None
        invoice.attempts = 1
        tx.session.add(Submission(id=uuid.uuid4(), invoice_id=invoice.id, attempt=1, channel="coupa",
                                  document_format="cxml", portal_reference=reference,
                                  status=SubmissionStatus(status), submitted_by="pat"))
        await move(tx, invoice, to=InvoiceStatus(status))
    return reference


async def portal_says(service: Service, reference: str, code: str) -> dict[str, Any]:
    body = json.dumps({"reference": reference, "status": code, "payment_date": "2026-03-10"}).encode()
    response = await service.client.post("/portal/callbacks", content=body, headers=signed_headers(
        DEV_CALLBACK_SECRET, timestamp=int(time.time()), body=body))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def invoice_of(service: Service, invoice_id: str) -> dict[str, Any]:
    return dict((await service.client.get(f"/invoices/{invoice_id}", headers=VIEWER)).json())


async def settlement_of(service: Service, invoice_id: str) -> dict[str, Any]:
    rows = (await service.client.get("/settlements", headers=INTEGRATION, params={"limit": 1000})).json()["items"]
    return next(r for r in rows if r["invoice_id"] == invoice_id)


async def assert_agrees_with(service: Service, ledger: Ledger) -> None:
    """Invoicing's mirror equals the ledger's figures after its last entry."""
    row = await settlement_of(service, str(ledger.invoice["id"]))
    assert (Decimal(row["ledger_open_amount"]), row["ledger_sequence"]) == (ledger.open, ledger.sequence)
    assert Decimal(row["cash_applied_amount"]) == ledger.cash
    assert Decimal(row["ledger_credited_amount"]) == ledger.credited
    assert Decimal(row["written_off_amount"]) == ledger.written_off


async def test_a_portal_paid_is_the_customers_word_and_settles_nothing(service: Service) -> None:
    invoice = await service.issued()
    ledger = Ledger(invoice)
    await handle(service, ledger.opened())
    reference = await at_portal(service, invoice["id"], "scheduled_for_payment")
    assert (await portal_says(service, reference, "PAID"))["invoice_status"] == "paid_by_customer"
    after = await invoice_of(service, invoice["id"])
    assert after["status"] == "paid_by_customer" and after["customer_paid_reported_at"] is not None
    assert after["settlement_status"] == "open" and after["paid_amount"] == "0.00"
    types = await service.outbox_types()
    assert "invoice.paid" not in types and types[-1] == "invoice.customer_reported_paid"
    payload = json.loads(await service.scalar(
        "SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.customer_reported_paid.v1'"))
    assert payload["payment_date"] == "2026-03-10" and payload["attempt"] == 1
    # cash then arrives: the ledger settles it; the portal status stays what the portal said
    await handle(service, ledger.post("payment", -ledger.open, payment_id=uuid.uuid4()))
    settled = await invoice_of(service, invoice["id"])
    assert (settled["status"], settled["settlement_status"]) == ("paid_by_customer", "settled")
    assert (await service.outbox_types()).count("invoice.paid") == 1
    await assert_agrees_with(service, ledger)


async def test_payments_settle_a_reversal_reopens_and_redeliveries_change_nothing(service: Service) -> None:
    invoice = await service.issued()
    ledger = Ledger(invoice)
    await handle(service, ledger.opened())
    assert (await invoice_of(service, invoice["id"]))["settlement_status"] == "open"
    await handle(service, ledger.post("payment", "-100.00", payment_id=uuid.uuid4()))
    partly = await invoice_of(service, invoice["id"])
    assert (partly["settlement_status"], partly["ledger_open_amount"], partly["paid_amount"]) == (
        "partly_settled", "10.01", "100.00")
    last_payment = ledger.post("payment", "-10.01", payment_id=uuid.uuid4())
    await handle(service, last_payment)
    settled = await invoice_of(service, invoice["id"])
    assert (settled["settlement_status"], settled["ledger_open_amount"], settled["status"]) == (
        "settled", "0.00", "issued")
    assert settled["settled_on"] == "2026-03-03"
    await handle(service, last_payment)  # redelivered: nothing happens
    assert (await service.outbox_types()).count("invoice.paid") == 1
    # a manual unapply in collections (reversal) reopens the invoice
    await handle(service, ledger.post("reversal", "10.01", reason="manual"))
    reopened = await invoice_of(service, invoice["id"])
    assert (reopened["settlement_status"], reopened["ledger_open_amount"], reopened["settled_on"]) == (
        "partly_settled", "10.01", None)
    history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=VIEWER)).json()
    assert history[-1]["note"] == "settlement: reversal 10.01 USD, open 10.01 USD (partly_settled)"
    await assert_agrees_with(service, ledger)


async def test_a_tolerance_write_off_settles_and_a_late_entry_is_ignored(service: Service) -> None:
    invoice = await service.issued(lines=[{"description": "Parts", "quantity": "1", "unit_price": "1000.00"}])
    ledger = Ledger(invoice)
    opened, paid = ledger.opened(), ledger.post("payment", "-996.85", payment_id=uuid.uuid4())
    tolerance = ledger.post("tolerance_write_off", "-3.15", reason="tolerance")
    await handle(service, opened, tolerance)  # the payment's entry arrives after the newer one
    row = await invoice_of(service, invoice["id"])
    assert (row["settlement_status"], row["ledger_open_amount"], row["written_off_amount"]) == (
        "settled", "0.00", "3.15")
    await handle(service, paid)  # older than what is mirrored: ignored
    assert (await invoice_of(service, invoice["id"]))["ledger_sequence"] == 3
    await assert_agrees_with(service, ledger)


async def test_credits_and_write_offs_without_cash(service: Service) -> None:
    credited, written_off = await service.issued(), await service.issued()
    credit_ledger, write_off_ledger = Ledger(credited), Ledger(written_off)
    await handle(service, credit_ledger.opened(), credit_ledger.post("credit_note", "-110.01"),
                 write_off_ledger.opened(), write_off_ledger.post("credit_note", "-10.00"),
                 write_off_ledger.post("write_off", "-100.01", reason="dispute"))
    assert (await invoice_of(service, credited["id"]))["settlement_status"] == "credited"
    assert (await invoice_of(service, written_off["id"]))["settlement_status"] == "written_off"
    assert "invoice.paid" not in await service.outbox_types()
    await assert_agrees_with(service, credit_ledger)
    await assert_agrees_with(service, write_off_ledger)


async def test_entries_of_an_invoice_not_stored_here_are_skipped(service: Service) -> None:
    ghost = {"id": str(uuid.uuid4()), "number": "X-1", "legal_entity": "US01", "customer_id": "C",
             "currency": "USD", "total_amount": "5.00"}
    before = await service.counts()
    await handle(service, Ledger(ghost).opened())
    assert await service.counts() == before


async def test_settlements_page_for_reconciliation(service: Service) -> None:
    draft = await service.create()
    issued = [await service.issued() for _ in range(3)]
    ledger = Ledger(issued[0])
    await handle(service, ledger.opened(), ledger.post("payment", "-50.00", payment_id=uuid.uuid4()))
    problem(await service.client.get("/settlements", headers=PREPARER), 403)
    problem(await service.client.get("/settlements", headers=SUPERVISOR, params={"limit": 1001}), 422)
    first = (await service.client.get("/settlements", headers=SUPERVISOR, params={"limit": 2})).json()
    second = (await service.client.get("/settlements", headers=SUPERVISOR,
                                       params={"limit": 2, "after": first["next_after"]})).json()
    rows = first["items"] + second["items"]
    assert second["next_after"] is None and len(rows) == 3
    assert [r["invoice_id"] for r in rows] == sorted(i["id"] for i in issued) and draft["id"] not in str(rows)
    paid = next(r for r in rows if r["invoice_id"] == issued[0]["id"])
    assert {k: paid[k] for k in ("total_amount", "ledger_open_amount", "ledger_sequence", "cash_applied_amount",
                                 "settlement_status", "status", "currency")} == {
        "total_amount": "110.01", "ledger_open_amount": "60.01", "ledger_sequence": 2,
        "cash_applied_amount": "50.00", "settlement_status": "partly_settled", "status": "issued",
        "currency": "USD"}
    untouched = next(r for r in rows if r["invoice_id"] == issued[1]["id"])
    assert untouched["ledger_open_amount"] is None and untouched["ledger_sequence"] == 0
    await assert_agrees_with(service, ledger)


async def test_receivable_changed_through_the_real_broker(infra: Infra, inv_db: Database,
                                                          own_broker: TansuBroker) -> None:
    """Collections-shaped ledger entries on the collections topic of a broker of the test's own, consumed by the
    app's real consumer: settled once, a redelivered record a duplicate, figures equal to the ledger's."""
    bootstrap = own_broker.bootstrap_servers
    await ensure_topics(bootstrap, list(TOPICS.values()), partitions=6, replication_factor=1)
    settings = settings_for(inv_db.url, infra, run_workers=True).model_copy(
        update={"kafka_bootstrap_servers": bootstrap})
    app = create_app(settings)
    async with serving(app, base_url="http://invoicing") as client:
        service = Service(app=app, client=client, db=inv_db, settings=settings)
        invoice = await service.issued()
        ledger = Ledger(invoice)
        events = [ledger.opened(), ledger.post("payment", "-110.01", payment_id=uuid.uuid4())]
        events.append(events[-1])  # a redelivery
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(),
                                             headers=event.headers())
        finally:
            await producer.stop()
        consumer = app.state.workers.consumers[0]

        async def seen() -> bool:
            return consumer.stats.processed + consumer.stats.duplicates >= len(events)

        await eventually(seen, limit_s=60)
        assert (consumer.stats.processed, consumer.stats.duplicates) == (2, 1)
        settled = await invoice_of(service, invoice["id"])
        assert settled["settlement_status"] == "settled"
        assert (await service.outbox_types()).count("invoice.paid") == 1
        await assert_agrees_with(service, ledger)
