"""Inbound events: cash applied to invoices (mark paid when settled) and credit notes requested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.events import Event
from o2c_common.events.contracts.collections import CreditNoteRequested, PaymentApplied
from o2c_common.events.contracts.invoicing import InvoicePaid
from o2c_common.inbox import Handlers
from o2c_common.outbox import Outbox
from o2c_invoicing.creditnotes import repository as credit_notes
from o2c_invoicing.creditnotes.service import issue_credit_note
from o2c_invoicing.invoices import repository
from o2c_invoicing.invoices.models import Settlement
from o2c_invoicing.invoices.states import OPEN_AFTER_ISSUE
from o2c_invoicing.lifecycle.service import move

ACTOR = "system:collections"


@dataclass(frozen=True)
class InvoiceHandlers:
    outbox: Outbox

    def handlers(self) -> Handlers:
        return {PaymentApplied: self.on_payment_applied_mark_paid,
                CreditNoteRequested: self.on_credit_note_requested_issue_credit_note}

    async def on_payment_applied_mark_paid(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, PaymentApplied)
        for application in fact.applications:
            invoice = await repository.get(session, invoice_id=application.invoice_id, for_update=True)
            if invoice is None:
                continue  # not ours (imported history, another system's invoice): nothing to settle here
            added = await session.execute(insert(Settlement).values(
                application_id=application.application_id, invoice_id=application.invoice_id,
                payment_id=fact.payment_id, amount=application.amount, applied_date=fact.applied_date,
            ).on_conflict_do_nothing().returning(Settlement.application_id))
            if added.scalar_one_or_none() is None:
                continue  # this application was counted already
            invoice.paid_amount += application.amount
            await record_audit(session, actor=ACTOR, action="invoice.cash_applied", entity_type="invoice",
                               entity_id=invoice.id, after={"payment_id": fact.payment_id,
                                                            "amount": application.amount})
            if invoice.status in OPEN_AFTER_ISSUE and invoice.open_amount <= Decimal(0):
                await move(session, invoice, to="paid", actor=ACTOR, note=f"payment {fact.payment_id}")
                assert invoice.number is not None
                await self.outbox.emit(session, InvoicePaid(
                    invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
                    customer_id=invoice.customer_id, owning_team=invoice.owning_team, currency=invoice.currency,
                    amount=invoice.total_amount, paid_date=fact.applied_date, paid_at=datetime.now(UTC),
                    source="cash_applied", payment_ids=(fact.payment_id,)))
            else:
                await session.flush()

    async def on_credit_note_requested_issue_credit_note(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, CreditNoteRequested)
        if await credit_notes.by_request(session, request_id=fact.request_id) is not None:
            return
        await issue_credit_note(session, invoice_id=fact.invoice_id, amount=fact.amount, reason=fact.reason,
                                note=fact.reason_code, actor=f"system:{fact.requested_by}", outbox=self.outbox,
                                precondition=None, request_id=fact.request_id, deduction_id=fact.deduction_id,
                                dispute_id=fact.dispute_id)
