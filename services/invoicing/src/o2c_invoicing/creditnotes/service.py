"""Credit notes, full or partial, against an issued invoice; numbered gapless in their own series."""

from __future__ import annotations

import uuid
from decimal import Decimal

from o2c_common.events.contracts.collections import CreditNoteRequested
from o2c_common.events.contracts.invoicing import CreditNoteIssued
from o2c_common.money import round_money
from o2c_common.tx import Tx
from o2c_invoicing.creditnotes import repository
from o2c_invoicing.creditnotes.models import CreditNote
from o2c_invoicing.invoices import repository as invoices
from o2c_invoicing.invoices import states
from o2c_invoicing.invoices.errors import CreditExceedsOpenAmount
from o2c_invoicing.invoices.lifecycle import move
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.invoices.service import get, lock
from o2c_invoicing.invoices.states import InvoiceStatus


def _credit_amounts(invoice: Invoice, amount: Decimal | None) -> tuple[Decimal, Decimal]:
    """(gross, tax) of a credit of ``amount`` (everything still owed when None); 422 beyond the open amount."""
    open_amount = invoice.open_amount
    gross = round_money(amount, invoice.currency) if amount is not None else open_amount
    if gross <= 0 or gross > open_amount:
        raise CreditExceedsOpenAmount(f"credit {gross} exceeds the open amount {open_amount}",
                                      extensions={"open_amount": str(open_amount), "requested": str(gross)})
    tax = round_money(gross * invoice.tax_amount / invoice.total_amount, invoice.currency) \
        if invoice.total_amount else Decimal(0)
    return gross, tax


async def issue_credit_note(tx: Tx, invoice: Invoice, *, amount: Decimal | None, reason: str, note: str | None,
                            request_id: uuid.UUID | None = None, deduction_id: uuid.UUID | None = None,
                            dispute_id: uuid.UUID | None = None) -> CreditNote:
    """Credit the (locked) invoice; a credit of everything still owed moves it to credited (or paid)."""
    states.check("credit", invoice.status)
    open_amount = invoice.open_amount
    gross, tax = _credit_amounts(invoice, amount)
    now = tx.now()
    sequence = await invoices.next_number(tx.session, series=f"CN:{invoice.legal_entity}", year=now.year)
    credit = await repository.add(tx.session, CreditNote(
        id=uuid.uuid4(), invoice_id=invoice.id, number=f"{invoice.legal_entity}-CN-{now.year}-{sequence:06d}",
        legal_entity=invoice.legal_entity, currency=invoice.currency, amount=gross, tax_amount=tax,
        full=gross == open_amount, reason=reason, note=note, issue_date=now.date(), request_id=request_id,
        created_by=tx.actor.subject))
    invoice.credited_amount += gross
    if invoice.open_amount == 0:
        await move(tx, invoice, to=InvoiceStatus.CREDITED if invoice.paid_amount == 0 else InvoiceStatus.PAID,
                   note=f"credit note {credit.number}")
    else:
        await invoices.flush(tx.session)
    await tx.audit("credit_note.issued", entity_type="invoice", entity_id=invoice.id, reason=note,
                   after={"credit_note": credit.number, "amount": gross})
    assert invoice.number is not None
    await tx.emit(CreditNoteIssued(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, credit_note_id=credit.id,
        credit_note_number=credit.number, currency=invoice.currency, amount=gross, tax_amount=tax,
        full=credit.full, reason=reason, issue_date=credit.issue_date, issued_at=now,
        request_id=request_id, deduction_id=deduction_id, dispute_id=dispute_id))
    return credit


async def issue_requested(tx: Tx, fact: CreditNoteRequested) -> None:
    """A credit requested by collections, issued once per request id."""
    if await repository.by_request(tx.session, request_id=fact.request_id) is not None:
        return
    invoice = await lock(tx, fact.invoice_id)
    await issue_credit_note(tx, invoice, amount=fact.amount, reason=fact.reason, note=fact.reason_code,
                            request_id=fact.request_id, deduction_id=fact.deduction_id, dispute_id=fact.dispute_id)


async def list_for(tx: Tx, invoice_id: uuid.UUID) -> list[CreditNote]:
    await get(tx, invoice_id)
    return await repository.for_invoice(tx.session, invoice_id=invoice_id)
