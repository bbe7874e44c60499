from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.cashapp.models import PaymentStatus
from o2c_common.events.types import Amount, Confidence, PositiveAmount
from o2c_common.money import round_money


class RemittanceLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    reference: str | None
    amount: Amount | None
    reason_code: str | None


class ApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    amount: Amount
    rule: str
    confidence: Confidence
    explanation: str | None
    applied_date: date
    applied_by: str | None
    applied_at: datetime
    reversed_at: datetime | None

    @model_validator(mode="after")
    def _in_minor_units(self) -> ApplicationRead:
        cents = round_money(self.amount, "USD")
        if cents == self.amount:  # trailing zeros only: never drops a three-decimal currency's digit
            self.amount = cents
        return self


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    legal_entity: str
    customer_id: str | None
    payer_name: str | None
    owning_team: str | None
    currency: str
    amount: Amount
    unapplied_amount: Amount
    value_date: date
    source: str
    bank_reference: str | None
    import_id: uuid.UUID | None
    status: PaymentStatus
    explanation: str | None
    candidates: list[dict[str, Any]]
    received_at: datetime

    @model_validator(mode="after")
    def _in_minor_units(self) -> PaymentRead:
        self.amount = round_money(self.amount, self.currency)
        self.unapplied_amount = round_money(self.unapplied_amount, self.currency)
        return self


class ManualApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: uuid.UUID
    amount: PositiveAmount
    applied_date: date | None = Field(default=None, description="Accounting date; defaults to the value date.")
    reason: str | None = Field(default=None, max_length=500)


class Reversal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    unapplied_date: date | None = None
