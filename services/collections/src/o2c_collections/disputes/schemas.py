from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.disputes.models import DisputeOutcome, DisputeStatus
from o2c_common.events.contracts.collections import DisputeReason, DisputeRootCause
from o2c_common.events.types import Amount, NonNegativeAmount, PositiveAmount
from o2c_common.money import round_money


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: uuid.UUID
    amount: PositiveAmount | None = Field(default=None, description="Disputed amount; the whole open amount "
                                                                    "not yet disputed when omitted.")
    reason: DisputeReason
    owner: str | None = Field(default=None, max_length=64, description="Who drives it; you when omitted.")
    opened_date: date | None = None


class DisputeUpdate(BaseModel):
    """Work on an open dispute: its owner, root cause and actions as they become known."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(default=None, max_length=64)
    root_cause: DisputeRootCause | None = None
    corrective_action: str | None = Field(default=None, max_length=4000)
    preventive_action: str | None = Field(default=None, max_length=4000)


class DisputeResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: DisputeOutcome
    credited_amount: NonNegativeAmount | None = Field(default=None, description="For `partially_credited`.")
    root_cause: DisputeRootCause
    corrective_action: str | None = Field(default=None, max_length=4000)
    preventive_action: str | None = Field(default=None, max_length=4000)
    resolved_date: date | None = None


class WriteOffDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str | None = Field(default=None, max_length=2000)
    resolved_date: date | None = None


class CreditDecision(WriteOffDecision):
    """Approve or reject a requested credit of a dispute or a deduction (an ar_supervisor who neither asked for it
    nor raised what it credits)."""


class DisputeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID | None
    invoice_number: str | None
    deduction_id: uuid.UUID | None
    legal_entity: str
    customer_id: str
    owning_team: str | None
    currency: str
    amount: Amount
    reason: str
    source: str
    owner: str | None
    opened_by: str | None
    status: DisputeStatus
    outcome: DisputeOutcome | None
    root_cause: str | None
    corrective_action: str | None
    preventive_action: str | None
    resolved_by: str | None
    write_off_requested_by: str | None = None
    approved_by: str | None = None
    written_off_amount: Amount = Decimal(0)
    credit_requested_by: str | None = None
    credited_amount: Amount = Field(default=Decimal(0), description="The credit requested or approved.")
    opened_date: date
    resolved_date: date | None
    opened_at: datetime

    @model_validator(mode="after")
    def _in_minor_units(self) -> DisputeRead:
        self.amount = round_money(Decimal(self.amount), self.currency)
        self.written_off_amount = round_money(Decimal(self.written_off_amount), self.currency)
        self.credited_amount = round_money(Decimal(self.credited_amount), self.currency)
        return self
