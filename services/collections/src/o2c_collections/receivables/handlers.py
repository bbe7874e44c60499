from __future__ import annotations

from o2c_collections.receivables import service
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued
from o2c_common.tx import Tx


async def on_invoice_issued_open_receivable(tx: Tx, event: Event[InvoiceIssued]) -> None:
    await service.open_receivable(tx, fact=event.data, event_id=event.id)


async def on_credit_note_issued_reduce_receivable(tx: Tx, event: Event[CreditNoteIssued]) -> None:
    await service.reduce_by_credit_note(tx, fact=event.data, event_id=event.id)
