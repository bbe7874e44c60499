from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from o2c_common.events.types import Amount
from o2c_invoicing.invoices.states import InvoiceStatus, SettlementStatus


class SettlementRead(BaseModel):
    """One issued invoice as invoicing mirrors the AR ledger (amounts as decimal strings)."""

    invoice_id: uuid.UUID
    number: str
    customer_id: str
    owning_team: str | None
    currency: str
    total_amount: Amount
    settlement_status: SettlementStatus
    ledger_open_amount: Amount | None = Field(description="null: no ledger entry mirrored yet.")
    ledger_sequence: int = Field(description="The last ledger entry mirrored (collections' `entries`).")
    cash_applied_amount: Amount
    credited_amount: Amount = Field(description="Credit notes issued here.")
    ledger_credited_amount: Amount = Field(description="Credits the ledger posted.")
    written_off_amount: Amount
    status: InvoiceStatus
    updated_at: datetime


class SettlementPage(BaseModel):
    """Ascending by invoice id; pass `next_after` as `after` for the next page (null at the end)."""

    items: list[SettlementRead]
    next_after: uuid.UUID | None
