"""Open items as plain rows, for the bulk paths: a bank-file chunk reads its payers' items as rows, moves them in
memory and writes the figures back in one statement (:func:`repository.update_items`). Loading a chunk's items as
ORM objects, reading their instrumented attributes in the engine and flushing their updates took about a quarter of
a chunk's time. The functions that read or move an item take either kind (:data:`AnyItem`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from o2c_collections.receivables.models import OpenItem, OpenItemStatus


@dataclass(slots=True, eq=False)
class ItemRow:
    """An open item's row (``open_items``, all but ``opened_at``)."""

    invoice_id: uuid.UUID
    invoice_number: str
    legal_entity: str
    customer_id: str
    owning_team: str | None
    region: str | None
    currency: str
    original_amount: Decimal
    open_amount: Decimal
    disputed_amount: Decimal
    issue_date: date
    due_date: date
    status: OpenItemStatus
    closed_on: date | None
    version: int
    entries: int
    cash_applied_amount: Decimal
    credited_amount: Decimal
    written_off_amount: Decimal
    po_number: str | None
    discount_percent: Decimal | None
    discount_until: date | None
    match_keys: list[str]


AnyItem = OpenItem | ItemRow

FIELDS = tuple(f.name for f in fields(ItemRow))
# what moving an item (ledger.move, a deduction) changes: what is written back
MOVED = ("open_amount", "disputed_amount", "status", "closed_on", "version", "entries", "cash_applied_amount",
         "credited_amount", "written_off_amount")
