from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from o2c_common.events.types import Amount


class OpenArByCurrency(BaseModel):
    currency: str
    amount: Amount
    invoices: int


class OpenArRead(BaseModel):
    as_of: date
    totals: list[OpenArByCurrency]


class InvoiceOpenAmountRead(BaseModel):
    """One invoice's receivable as kpi has it: the sum of the ledger entries it copied (``receivable.changed``)."""

    invoice_id: uuid.UUID
    currency: str
    open_amount: Amount = Field(description="Decimal string in the currency's minor units.")
    movements: int = Field(description="Movements counted (one per ledger entry copied).")
    entries: int = Field(description="The last ledger sequence copied (collections' `entries` once caught up).")


class InvoiceOpenAmountPage(BaseModel):
    """Ascending by invoice id; pass `next_after` as `after` for the next page (null at the end)."""

    items: list[InvoiceOpenAmountRead]
    next_after: uuid.UUID | None
