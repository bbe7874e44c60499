"""Posting movements to the AR ledger: the only way an open item's amount changes."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.receivables import repository
from o2c_collections.receivables.models import EntryKind, LedgerEntry, OpenItem, OpenItemStatus
from o2c_common.tx import Tx


async def post(tx: Tx, *, item: OpenItem, kind: EntryKind, amount: Decimal, effective_date: date,
               payment_id: uuid.UUID | None = None, application_id: uuid.UUID | None = None,
               source_event_id: uuid.UUID | None = None, credit_note_id: uuid.UUID | None = None,
               note: str | None = None) -> LedgerEntry:
    """Adds ``amount`` (negative reduces AR) to the locked ``item`` and keeps the movement forever."""
    item.open_amount += amount
    item.version += 1
    if item.open_amount <= 0 and item.status == OpenItemStatus.OPEN:
        item.status, item.closed_on = OpenItemStatus.CLOSED, effective_date
    elif item.open_amount > 0 and item.status == OpenItemStatus.CLOSED:
        item.status, item.closed_on = OpenItemStatus.OPEN, None
    entry = LedgerEntry(invoice_id=item.invoice_id, kind=kind, amount=amount, effective_date=effective_date,
                        customer_id=item.customer_id, legal_entity=item.legal_entity, currency=item.currency,
                        owning_team=item.owning_team, due_date=item.due_date, payment_id=payment_id,
                        application_id=application_id, source_event_id=source_event_id,
                        credit_note_id=credit_note_id, note=note)
    await repository.add_entry(tx.session, entry)
    return entry
