"""Posting movements to the AR ledger: the only way an open item's amount changes, and the only place that
announces it. Every entry gets the next number of its invoice (``sequence``, gapless from 1: the invoice entry)
and is announced as ``receivable.changed`` with the signed amount as posted and the running figures after it, the
truth invoicing's settlement and kpi's AR mirror."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from o2c_collections.receivables import repository
from o2c_collections.receivables.models import EntryKind, LedgerEntry, OpenItem, OpenItemStatus
from o2c_collections.receivables.rows import AnyItem
from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_common.tx import Tx

SYSTEM = "system:collections"


@dataclass(frozen=True)
class Totals:
    """An invoice's running figures after some of its entries: open, cash applied, credited, written off."""

    open_amount: Decimal = Decimal(0)
    cash_applied: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)

    def after(self, kind: EntryKind, amount: Decimal) -> Totals:
        """The figures once an entry of ``kind`` and signed ``amount`` is posted (negative lowers what is owed)."""
        moved = replace(self, open_amount=self.open_amount + amount)
        if kind in (EntryKind.PAYMENT, EntryKind.REVERSAL):
            return replace(moved, cash_applied=self.cash_applied - amount)
        if kind == EntryKind.CREDIT_NOTE:
            return replace(moved, credited=self.credited - amount)
        if kind in (EntryKind.WRITE_OFF, EntryKind.TOLERANCE_WRITE_OFF):
            return replace(moved, written_off=self.written_off - amount)
        return moved

    @classmethod
    def of(cls, item: AnyItem) -> Totals:
        return cls(item.open_amount, item.cash_applied_amount, item.credited_amount, item.written_off_amount)


@dataclass(frozen=True, slots=True)
class Posting:
    """A ledger entry as a bulk path writes it: a row, not an ORM object (:func:`changed` reads either)."""

    invoice_id: uuid.UUID
    sequence: int
    kind: EntryKind
    amount: Decimal
    effective_date: date
    posted_by: str
    payment_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None
    reason: str | None = None
    note: str | None = None
    credit_note_id: uuid.UUID | None = None
    deduction_id: uuid.UUID | None = None
    dispute_id: uuid.UUID | None = None

    def row(self, item: AnyItem) -> dict[str, object]:
        """The ``ledger_entries`` row: the posting with the account facts of its item repeated."""
        return {"invoice_id": self.invoice_id, "sequence": self.sequence, "kind": self.kind, "amount": self.amount,
                "effective_date": self.effective_date, "posted_by": self.posted_by, "payment_id": self.payment_id,
                "application_id": self.application_id, "reason": self.reason, "note": self.note,
                "credit_note_id": self.credit_note_id, "deduction_id": self.deduction_id,
                "dispute_id": self.dispute_id, "customer_id": item.customer_id, "legal_entity": item.legal_entity,
                "currency": item.currency, "owning_team": item.owning_team, "due_date": item.due_date}


def changed(item: AnyItem, entry: LedgerEntry | Posting, totals: Totals, *, posted_by: str,
            posted_at: datetime) -> ReceivableChanged:
    """The ``receivable.changed`` fact of ``entry`` of ``item`` with the figures after it."""
    return ReceivableChanged(
        invoice_id=item.invoice_id, invoice_number=item.invoice_number, legal_entity=item.legal_entity,
        customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
        issue_date=item.issue_date, due_date=item.due_date, sequence=entry.sequence, kind=entry.kind,
        amount=entry.amount, effective_date=entry.effective_date, original_amount=item.original_amount,
        open_amount_after=totals.open_amount, cash_applied_total=max(totals.cash_applied, Decimal(0)),
        credited_total=max(totals.credited, Decimal(0)), written_off_total=max(totals.written_off, Decimal(0)),
        payment_id=entry.payment_id, application_id=entry.application_id, credit_note_id=entry.credit_note_id,
        deduction_id=entry.deduction_id, dispute_id=entry.dispute_id, reason=entry.reason,
        posted_by=posted_by, posted_at=posted_at)


async def announce(tx: Tx, item: OpenItem, entry: LedgerEntry) -> None:
    """``receivable.changed`` for the entry just posted on ``item`` (whose figures already include it)."""
    await tx.emit(changed(item, entry, Totals.of(item), posted_by=entry.posted_by or tx.actor.subject,
                          posted_at=tx.now()))


def move(item: AnyItem, *, kind: EntryKind, amount: Decimal, effective_date: date) -> Totals:
    """The movement applied to the item's running figures, entry count, version and status (in memory: the caller
    writes the entry, numbered ``item.entries``); the figures after it."""
    totals = Totals.of(item).after(kind, amount)
    item.open_amount, item.cash_applied_amount = totals.open_amount, totals.cash_applied
    item.credited_amount, item.written_off_amount = totals.credited, totals.written_off
    item.entries += 1
    item.version += 1
    if item.open_amount <= 0 and item.status == OpenItemStatus.OPEN:
        item.status, item.closed_on = OpenItemStatus.CLOSED, effective_date
    elif item.open_amount > 0 and item.status == OpenItemStatus.CLOSED:
        item.status, item.closed_on = OpenItemStatus.OPEN, None
    return totals


async def post(tx: Tx, *, item: OpenItem, kind: EntryKind, amount: Decimal, effective_date: date,
               payment_id: uuid.UUID | None = None, application_id: uuid.UUID | None = None,
               source_event_id: uuid.UUID | None = None, credit_note_id: uuid.UUID | None = None,
               deduction_id: uuid.UUID | None = None, dispute_id: uuid.UUID | None = None,
               reason: str | None = None, note: str | None = None) -> LedgerEntry:
    """Adds ``amount`` (negative reduces AR) to the locked ``item`` as its next entry, keeps the movement forever
    and announces it (``receivable.changed``) in the same transaction."""
    move(item, kind=kind, amount=amount, effective_date=effective_date)
    entry = LedgerEntry(invoice_id=item.invoice_id, sequence=item.entries, kind=kind, amount=amount,
                        effective_date=effective_date, customer_id=item.customer_id, legal_entity=item.legal_entity,
                        currency=item.currency, owning_team=item.owning_team, due_date=item.due_date,
                        payment_id=payment_id, application_id=application_id, source_event_id=source_event_id,
                        credit_note_id=credit_note_id, deduction_id=deduction_id, dispute_id=dispute_id,
                        reason=reason, posted_by=tx.actor.subject, note=note)
    await repository.add_entry(tx.session, entry)
    await announce(tx, item, entry)
    return entry


async def republish(tx: Tx, *, after: uuid.UUID | None, limit: int) -> tuple[int, uuid.UUID | None]:
    """``receivable.changed`` again for every entry of up to ``limit`` invoices after ``after`` (ascending by
    invoice id, each invoice's entries in sequence order, with the running figures recomputed from them), for
    consumers that came after the history: they keep what they had (newer sequence wins). Returns the entries
    announced and the last invoice id (None at the end)."""
    items = await repository.items_after(tx.session, after=after, limit=limit)
    count = 0
    for item in items:
        totals = Totals()
        for entry in await repository.entries(tx.session, invoice_id=item.invoice_id):
            totals = totals.after(entry.kind, entry.amount)
            await tx.emit(changed(item, entry, totals, posted_by=entry.posted_by or SYSTEM,
                                  posted_at=entry.recorded_at))
            count += 1
    return count, (items[-1].invoice_id if len(items) == limit else None)
