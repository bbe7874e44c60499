from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.receivables.models import EntryKind, OpenItemStatus
from o2c_common.events.types import Amount
from o2c_common.money import round_money


class OpenItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    invoice_id: uuid.UUID
    invoice_number: str
    legal_entity: str
    customer_id: str
    owning_team: str | None
    currency: str
    original_amount: Amount
    open_amount: Amount
    disputed_amount: Amount = Decimal(0)
    issue_date: date
    due_date: date
    status: OpenItemStatus
    region: str | None = None
    closed_on: date | None = None
    opened_at: datetime
    po_number: str | None = None
    discount_percent: Decimal | None = Field(default=None, description="Early-payment discount of the terms, %.")
    discount_until: date | None = Field(default=None, description="Last day the early-payment discount applies.")

    @model_validator(mode="after")
    def _in_minor_units(self) -> OpenItemRead:
        self.original_amount = round_money(self.original_amount, self.currency)
        self.open_amount = round_money(self.open_amount, self.currency)
        self.disputed_amount = round_money(self.disputed_amount, self.currency)
        return self


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sequence: int
    kind: EntryKind
    currency: str
    amount: Amount
    effective_date: date
    payment_id: uuid.UUID | None
    application_id: uuid.UUID | None
    credit_note_id: uuid.UUID | None = None
    deduction_id: uuid.UUID | None = None
    dispute_id: uuid.UUID | None = None
    reason: str | None = None
    posted_by: str | None = None
    note: str | None
    recorded_at: datetime

    @model_validator(mode="after")
    def _in_minor_units(self) -> LedgerEntryRead:
        self.amount = round_money(self.amount, self.currency)
        return self


class Balance(BaseModel):
    key: str | None
    currency: str
    open_amount: Amount
    as_of: date


class OpenAmountRead(BaseModel):
    """One invoice's receivable as the ledger has it (amounts as decimal strings in minor units)."""

    model_config = ConfigDict(from_attributes=True)

    invoice_id: uuid.UUID
    invoice_number: str
    customer_id: str
    owning_team: str | None
    currency: str
    original_amount: Amount
    open_amount: Amount
    entries: int = Field(description="Ledger entries posted: the last receivable.changed sequence.")
    cash_applied_amount: Amount
    credited_amount: Amount
    written_off_amount: Amount

    @model_validator(mode="after")
    def _in_minor_units(self) -> OpenAmountRead:
        for name in ("original_amount", "open_amount", "cash_applied_amount", "credited_amount",
                     "written_off_amount"):
            setattr(self, name, round_money(getattr(self, name), self.currency))
        return self


class OpenAmountLookup(BaseModel):
    """The invoices whose receivables are wanted."""

    model_config = ConfigDict(extra="forbid")

    invoice_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000, description="At most 1,000 invoice ids.")


class OpenAmountList(BaseModel):
    """The receivables of the invoices asked for that collections has opened, ascending by invoice id (an invoice
    without one, not yet opened or unknown, is left out)."""

    items: list[OpenAmountRead]


class OpenAmountPage(BaseModel):
    """Ascending by invoice id; pass `next_after` as `after` for the next page (null at the end)."""

    items: list[OpenAmountRead]
    next_after: uuid.UUID | None
