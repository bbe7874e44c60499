from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.contracts.invoicing import Channel, DocumentFormat
from o2c_common.events.types import Amount
from o2c_invoicing.invoices.schemas import NoFloat, money_in_minor_units

CreditReason = Literal["deduction_credited", "dispute_credited", "pricing", "returned_goods", "billing_error", "other"]


class CreditNoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"amount": "25.00", "reason": "pricing", "note": "Agreed discount on line 2"}, {"reason": "billing_error"}]})

    amount: Annotated[Decimal, NoFloat] | None = Field(default=None, gt=0, max_digits=20, decimal_places=6,
                                   description="Gross amount to credit; omit to credit everything still owed.")
    reason: CreditReason
    note: str | None = Field(default=None, max_length=2000)


class CreditNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID
    number: str
    currency: str
    amount: Amount
    tax_amount: Amount
    full: bool
    reason: str
    note: str | None
    issue_date: date
    created_by: str
    requested_by: str | None = Field(default=None, description="Who asked for it in collections (a dispute or "
                                                               "deduction credited), if it was requested there.")
    approved_by: str | None = Field(default=None, description="The second person who approved that request.")
    created_at: datetime

    @model_validator(mode="after")
    def _minor_units(self) -> CreditNoteRead:
        money_in_minor_units(self, self.currency, "amount", "tax_amount")
        return self


class CreditNoteSent(BaseModel):
    """Where a credit note went: the channel, the document format and the channel's reference (portal reference
    or e-mail Message-ID)."""

    credit_note_id: uuid.UUID
    credit_note_number: str
    invoice_id: uuid.UUID
    channel: Channel
    document_format: DocumentFormat
    reference: str | None
