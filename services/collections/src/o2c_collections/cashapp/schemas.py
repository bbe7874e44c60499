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
    text: str | None = None


class EvidenceRead(BaseModel):
    """One reading behind the engine's decision."""

    field: str = Field(description="The remittance field read (`remittance[0].text`), or `amount`.")
    text: str = Field(description="What it said (the token read).")
    rule: str = Field(description="How it was read: `invoice_number:in_text`, `po_number:whole_field`, "
                                  "`invoice_number:learned:<pattern id>`, or the rule that applied the cash.")
    invoice_number: str | None
    outcome: str = Field(description="`named`, `applied` or `rejected`.")
    why: str


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
    evidence: list[EvidenceRead] = Field(default_factory=list, description="What the engine read and why it decided "
                                                                           "(or left the cash) as it did.")
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


class Confirmation(BaseModel):
    """A person confirms candidates of an unapplied payment in one call: each invoice, in the order given, gets
    what is still open of it (at most what is left of the payment)."""

    model_config = ConfigDict(extra="forbid")

    invoice_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    reason: str | None = Field(default=None, max_length=500)
    learn: bool = Field(default=True, description="Remember the payer's name and reference formats for next time.")


class PatternRead(BaseModel):
    """A pattern learned from a manual application: an `alias` (the payer's name on bank statements) or a
    `reference_format` (how the payer writes invoice numbers)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: str
    kind: str
    value: str
    number: str | None = Field(description="For a format: the invoice number a match stands for.")
    example: str = Field(description="What the payer wrote when it was learned.")
    invoice_number: str
    payment_id: uuid.UUID
    learned_by: str
    learned_at: datetime


class ConfirmedRead(BaseModel):
    payment: PaymentRead
    applications: list[ApplicationRead]
    learned: list[PatternRead]
