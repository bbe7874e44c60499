"""credit_note.issued through its handler: idempotent on the credit note id (a second event for the same note under a
new event id reduces nothing), and the ledger endpoint showing amounts in the currency's minor units."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from o2c_collections.receivables.handlers import on_credit_note_issued_reduce_receivable
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import CreditNoteIssued
from services.collections.tests.conftest import COLLECTOR, Service


def note(invoice_id: uuid.UUID, credit_note_id: uuid.UUID, amount: str) -> CreditNoteIssued:
    return CreditNoteIssued(invoice_id=invoice_id, invoice_number="INV-CN", legal_entity="US01", customer_id="CUST-1",
                            credit_note_id=credit_note_id, credit_note_number="CN-1", currency="USD",
                            amount=Decimal(amount), tax_amount=Decimal(0), full=False, reason="pricing",
                            issue_date=date(2026, 2, 15), issued_at=datetime(2026, 2, 15, 9, tzinfo=UTC))


async def deliver(service: Service, payload: CreditNoteIssued) -> None:
    async with service.transactions.begin("system:collections") as tx:
        await on_credit_note_issued_reduce_receivable(tx, Event.new(payload, source="/o2c/invoicing"))


async def test_a_credit_note_reduces_its_invoice_once_whatever_the_event_id(service: Service) -> None:
    invoice = await service.issue("INV-CN", "100.00")
    first = uuid.uuid4()
    await deliver(service, note(invoice, first, "30.00"))
    await deliver(service, note(invoice, first, "30.00"))  # the same note again, under a new event id
    assert await service.open_amount(invoice) == 70
    await deliver(service, note(invoice, uuid.uuid4(), "20.00"))  # another note still counts
    assert await service.open_amount(invoice) == 50
    ledger = (await service.client.get(f"/receivables/{invoice}/ledger", headers=COLLECTOR)).json()
    assert [(e["kind"], e["amount"], e["currency"]) for e in ledger] == [
        ("invoice", "100.00", "USD"), ("credit_note", "-30.00", "USD"), ("credit_note", "-20.00", "USD")]
    assert ledger[1]["credit_note_id"] == str(first)


async def test_a_credit_note_for_an_invoice_the_ledger_never_opened_is_refused_not_skipped(service: Service) -> None:
    import pytest

    from o2c_collections.receivables.service import UnknownReceivable

    with pytest.raises(UnknownReceivable, match="no receivable for invoice"):  # the consumer dead-letters it
        await deliver(service, note(uuid.uuid4(), uuid.uuid4(), "10.00"))
    assert await service.scalar("SELECT count(*) FROM ledger_entries") == 0
