from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.events import Event
from o2c_common.events.contracts.collections import PaymentApplied
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued
from o2c_common.inbox import Handlers
from o2c_kpi.ar import service


async def on_invoice_issued_add_receivable(session: AsyncSession, event: Event) -> None:
    assert isinstance(event.data, InvoiceIssued)
    await service.record_invoice_issued(session, event_id=event.id, fact=event.data)


async def on_payment_applied_reduce_receivables(session: AsyncSession, event: Event) -> None:
    assert isinstance(event.data, PaymentApplied)
    await service.record_payment_applied(session, event_id=event.id, fact=event.data)


async def on_credit_note_issued_reduce_receivable(session: AsyncSession, event: Event) -> None:
    assert isinstance(event.data, CreditNoteIssued)
    await service.record_credit_note(session, event_id=event.id, fact=event.data)


HANDLERS: Handlers = {
    InvoiceIssued: on_invoice_issued_add_receivable,
    PaymentApplied: on_payment_applied_reduce_receivables,
    CreditNoteIssued: on_credit_note_issued_reduce_receivable,
}
