from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.cashapp.schemas import ApplicationRead, PaymentRead, RemittanceLineRead
from o2c_collections.payments.models import ImportStatus
from o2c_common.errors import ProblemDetail
from o2c_common.events.types import Currency, PositiveAmount
from o2c_common.money import in_minor_units, minor_units


class RemittanceLineWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str | None = Field(default=None, max_length=100, examples=["INV-2026-000042"])
    amount: PositiveAmount | None = None
    reason_code: str | None = Field(default=None, max_length=40, examples=["pricing"])


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_entity: str = Field(min_length=1, max_length=20, examples=["US01"])
    customer_id: str | None = Field(default=None, min_length=1, max_length=64, examples=["CUST-42"])
    payer_name: str | None = Field(default=None, max_length=200)
    currency: Currency
    amount: PositiveAmount
    value_date: date
    bank_reference: str | None = Field(default=None, min_length=1, max_length=100,
                                       description="The bank's id of the credit: a second payment with it is refused.")
    remittance: list[RemittanceLineWrite] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _in_minor_units(self) -> PaymentCreate:
        amounts = [("amount", self.amount), *((f"remittance[{n}].amount", line.amount)
                                              for n, line in enumerate(self.remittance) if line.amount is not None)]
        for name, amount in amounts:
            if not in_minor_units(amount, self.currency):
                raise ValueError(f"{name} {amount} has digits below the {self.currency} minor unit "
                                 f"({minor_units(self.currency)} decimals)")
        return self


class PaymentDetail(PaymentRead):
    remittance: list[RemittanceLineRead] = []
    applications: list[ApplicationRead] = []


class ImportLineError(BaseModel):
    line: int = Field(description="1-based position of the payment in the file")
    detail: str


class ImportRead(BaseModel):
    """An import job: `queued`, then `processing` while its lines are booked in chunks, then `completed`."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    file_format: str
    filename: str | None
    legal_entity: str | None = None
    status: ImportStatus
    total_lines: int
    processed_lines: int
    booked: int
    duplicates: int
    applied: int
    errors: int = 0
    error_details: list[ImportLineError] = Field(default_factory=list, description="The first 100 lines that failed.")
    created_at: datetime
    completed_at: datetime | None = None
    duplicate_file: bool = False


MAX_BATCH_PAYMENTS = 1000


class PaymentBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payments: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH_PAYMENTS,
        description="Up to 1,000 payments, each the body of `POST /payments` (`PaymentCreate`). Each is validated "
                    "on its own: one that is not valid is answered as a `problem` at its index, the others are "
                    "booked.")
    historical: bool = Field(default=False, description=(
        "The payments are imported history (`o2c history replay`): booked with source `history_import`, and "
        "their application by the engine is not work done in today's cash application queue."))


class BatchRowStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    PROBLEM = "problem"


class BatchRow(BaseModel):
    index: int = Field(description="0-based position of the payment in the request")
    status: BatchRowStatus = Field(description="`created`; `duplicate`: its bank reference was booked before (or "
                                               "earlier in the batch), `payment_id` is that payment; `problem`")
    payment_id: uuid.UUID | None = None
    applied: bool = Field(False, description="Cash application applied some of it (created payments)")
    problem: ProblemDetail | None = Field(None, description="Why the payment was not booked (RFC 9457), its "
                                                            "`errors` pointing into the request "
                                                            "(`#/payments/3/amount`)")


class BatchRead(BaseModel):
    created: int
    duplicates: int
    problems: int
    results: list[BatchRow]
