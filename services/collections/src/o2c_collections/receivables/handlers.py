from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.receivables import service
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued


async def on_invoice_issued_open_receivable(session: AsyncSession, event: Event) -> None:
    assert isinstance(event.data, InvoiceIssued)
    await service.open_receivable(session, fact=event.data, event_id=event.id)


async def on_credit_note_issued_reduce_receivable(session: AsyncSession, event: Event) -> None:
    assert isinstance(event.data, CreditNoteIssued)
    await service.reduce_by_credit_note(session, fact=event.data, event_id=event.id)
