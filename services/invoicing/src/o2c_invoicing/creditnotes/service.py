"""Credit notes, full or partial, against an issued invoice; numbered gapless in their own series."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.events.contracts.invoicing import CreditNoteIssued
from o2c_common.money import round_money
from o2c_common.outbox import Outbox
from o2c_invoicing.creditnotes import repository
from o2c_invoicing.deps import Precondition
from o2c_invoicing.invoices import repository as invoices
from o2c_invoicing.invoices.errors import CreditExceedsOpenAmount
from o2c_invoicing.invoices.models import CreditNote
from o2c_invoicing.invoices.service import get
from o2c_invoicing.lifecycle.service import locked, move


async def issue_credit_note(session: AsyncSession, *, invoice_id: uuid.UUID, amount: Decimal | None, reason: str,
                            note: str | None, actor: Principal | str, outbox: Outbox,
                            precondition: Precondition | None, request_id: uuid.UUID | None = None,
                            deduction_id: uuid.UUID | None = None,
                            dispute_id: uuid.UUID | None = None) -> CreditNote:
    subject = actor.subject if isinstance(actor, Principal) else actor
    if isinstance(actor, Principal):
        invoice = await locked(session, invoice_id=invoice_id, principal=actor, precondition=precondition,
                               action="credit")
    else:
        invoice = await get(session, invoice_id=invoice_id, for_update=True)
        from o2c_invoicing.invoices import states
        states.check("credit", invoice.status)
    open_amount = invoice.open_amount
    gross = round_money(amount, invoice.currency) if amount is not None else open_amount
    if gross <= 0 or gross > open_amount:
        raise CreditExceedsOpenAmount(f"credit {gross} exceeds the open amount {open_amount}",
                                      extensions={"open_amount": str(open_amount), "requested": str(gross)})
    tax = round_money(gross * invoice.tax_amount / invoice.total_amount, invoice.currency) \
        if invoice.total_amount else Decimal(0)
    now = datetime.now(UTC)
    sequence = await invoices.next_number(session, series=f"CN:{invoice.legal_entity}", year=now.year)
    credit = await repository.add(session, CreditNote(
        id=uuid.uuid4(), invoice_id=invoice.id, number=f"{invoice.legal_entity}-CN-{now.year}-{sequence:06d}",
        legal_entity=invoice.legal_entity, currency=invoice.currency, amount=gross, tax_amount=tax,
        full=gross == open_amount, reason=reason, note=note, issue_date=now.date(), request_id=request_id,
        created_by=subject))
    invoice.credited_amount += gross
    if invoice.open_amount == 0:
        await move(session, invoice, to="credited" if invoice.paid_amount == 0 else "paid", actor=subject,
                   note=f"credit note {credit.number}")
    else:
        await session.flush()
    await record_audit(session, actor=subject, action="credit_note.issued", entity_type="invoice",
                       entity_id=invoice.id, reason=note, after={"credit_note": credit.number, "amount": gross})
    assert invoice.number is not None
    await outbox.emit(session, CreditNoteIssued(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, credit_note_id=credit.id,
        credit_note_number=credit.number, currency=invoice.currency, amount=gross, tax_amount=tax,
        full=credit.full, reason=reason, issue_date=credit.issue_date, issued_at=now,
        request_id=request_id, deduction_id=deduction_id, dispute_id=dispute_id))
    return credit


async def list_for(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal) -> list[CreditNote]:
    await get(session, invoice_id=invoice_id, principal=principal)
    return await repository.for_invoice(session, invoice_id=invoice_id)
