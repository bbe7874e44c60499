from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.deductions.models import DeductionResolution, DeductionStatus
from o2c_common.events.contracts.collections import DisputeReason
from o2c_common.events.types import Amount
from o2c_common.money import round_money


class DeductionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payment_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    invoice_number: str | None
    legal_entity: str
    customer_id: str
    owning_team: str | None
    currency: str
    amount: Amount
    reason: str
    remittance_reason: str | None
    owner: str | None
    status: DeductionStatus
    resolution: DeductionResolution | None
    write_off_requested_by: str | None
    opened_by: str | None = None
    credit_requested_by: str | None = None
    resolved_by: str | None
    approved_by: str | None
    credit_note_request_id: uuid.UUID | None
    dispute_id: uuid.UUID | None
    note: str | None
    opened_date: date
    resolved_date: date | None
    opened_at: datetime

    @model_validator(mode="after")
    def _in_minor_units(self) -> DeductionRead:
        self.amount = round_money(self.amount, self.currency)
        return self


class DeductionResolve(BaseModel):
    """``credited`` and ``written_off`` only request the credit or the write-off: an ar_supervisor (another
    person) approves it."""

    model_config = ConfigDict(extra="forbid")

    resolution: DeductionResolution
    note: str | None = Field(default=None, max_length=2000)
    resolved_date: date | None = Field(default=None, description="Accounting date; today when omitted.")
    dispute_reason: DisputeReason | None = Field(default=None, description="For `disputed`; from the deduction "
                                                                         "reason when omitted.")


class WriteOffDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str | None = Field(default=None, max_length=2000)
    resolved_date: date | None = None
