"""Issue 12, A2: credits are accepted whatever the portal says. A deduction or dispute credited in collections on
an invoice the customer's portal calls paid is issued (it was dead-lettered with "cannot credit an invoice that
is paid"), capped at what earlier credit notes left, never raising; the ledger's entry then settles it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from o2c_common.events import Event
from o2c_common.events.contracts.collections import CreditNoteRequested
from o2c_common.events.examples import example_payload
from services.invoicing.tests.conftest import APPROVER, VIEWER, Service
from services.invoicing.tests.integration.test_settlement import assert_agrees_with, at_portal, portal_says
from services.invoicing.tests.ledger import Ledger, handle

pytestmark = pytest.mark.integration


def requested(invoice: dict[str, object], amount: str, reason: str = "deduction_credited") -> Event:
    payload = example_payload(
        CreditNoteRequested, request_id=uuid.uuid4(), invoice_id=uuid.UUID(str(invoice["id"])),
        invoice_number=str(invoice["number"]), customer_id=str(invoice["customer_id"]),
        legal_entity=str(invoice["legal_entity"]), currency=str(invoice["currency"]), amount=Decimal(amount),
        reason=reason, owning_team=None, requested_at=datetime.now(UTC))
    return Event.new(payload, source="/o2c/collections")


async def test_credit_request_on_portal_paid_invoice_is_issued(service: Service) -> None:
    """The 83.51 deduction and the 1,200.00 dispute of the issue, on invoices the portal says are paid."""
    deduction = await service.issued(lines=[{"description": "Goods", "quantity": "1", "unit_price": "500.00"}])
    dispute = await service.issued(lines=[{"description": "Project", "quantity": "1", "unit_price": "5000.00"}])
    ledgers = {deduction["id"]: Ledger(deduction), dispute["id"]: Ledger(dispute)}
    for invoice in (deduction, dispute):
        await handle(service, ledgers[invoice["id"]].opened())
        await portal_says(service, await at_portal(service, invoice["id"]), "PAID")
    await handle(service, requested(deduction, "83.51"), requested(dispute, "1200.00", "dispute_credited"))
    notes = {r[0]: Decimal(r[1]) for r in await service.rows("SELECT invoice_id::text, amount FROM credit_notes")}
    assert notes == {deduction["id"]: Decimal("83.51"), dispute["id"]: Decimal("1200.00")}
    assert (await service.outbox_types()).count("credit_note.issued") == 2
    for invoice in (deduction, dispute):
        after = (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()
        assert after["status"] == "paid_by_customer"  # the portal's status is not touched
        # collections posts the credit note; the customer's cash for the rest settles it
        ledger = ledgers[invoice["id"]]
        await handle(service, ledger.post("credit_note", -notes[invoice["id"]]),
                     ledger.post("payment", -ledger.open, payment_id=uuid.uuid4()))
        assert (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()[
            "settlement_status"] == "settled"
        await assert_agrees_with(service, ledger)


async def test_credit_request_is_capped_and_never_dead_lettered(service: Service) -> None:
    invoice = await service.issued()  # 110.01
    ledger = Ledger(invoice)
    await handle(service, ledger.opened(), ledger.post("payment", "-110.01", payment_id=uuid.uuid4()))
    await handle(service, requested(invoice, "100.00"), requested(invoice, "50.00"))  # the second: capped
    assert sorted(Decimal(r[0]) for r in await service.rows("SELECT amount FROM credit_notes")) == [
        Decimal("10.01"), Decimal("100.00")]
    await handle(service, requested(invoice, "5.00"))  # nothing left: refused, audited, not raised
    assert await service.scalar("SELECT count(*) FROM credit_notes") == 2
    refused = await service.scalar("SELECT reason FROM audit_log WHERE action = 'credit_note.request_refused'")
    assert "nothing left to credit" in refused
    settled = (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()
    assert settled["settlement_status"] == "settled" and settled["credited_amount"] == "110.01"
    # a settled invoice can still be credited by hand up to what is creditable: here nothing is left
    etag = (await service.client.get(f"/invoices/{invoice['id']}", headers=APPROVER)).headers["ETag"]
    refused_by_hand = await service.client.post(f"/invoices/{invoice['id']}/credit-notes",
                                                json={"reason": "pricing", "amount": "1.00"},
                                                headers={**APPROVER, "If-Match": etag})
    assert refused_by_hand.status_code == 422 and "0.00 USD" in refused_by_hand.json()["detail"]
    await assert_agrees_with(service, ledger)
