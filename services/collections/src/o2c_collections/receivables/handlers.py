from __future__ import annotations

from collections.abc import Sequence

from o2c_collections.receivables import service
from o2c_collections.receivables.service import Issued
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued
from o2c_common.tx import Tx


async def on_invoices_issued_open_receivables(tx: Tx, events: Sequence[Event[InvoiceIssued]]) -> None:
    await service.open_receivables(tx, [Issued(e.data, e.id, e.correlation_id) for e in events])


async def on_credit_note_issued_reduce_receivable(tx: Tx, event: Event[CreditNoteIssued]) -> None:
    await service.reduce_by_credit_note(tx, fact=event.data, event_id=event.id)
