from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from o2c_collections.dunning.models import FailureReason, StatementStatus
from o2c_common.events.types import Amount, NonNegativeAmount


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: int = Field(ge=1, le=10)
    days_past_due: int = Field(ge=0)
    channel: Literal["email", "letter", "portal", "phone"] = "email"
    template: str = Field(min_length=1, max_length=64)
    min_amount: NonNegativeAmount = Field(default=Decimal(0), description="Overdue amount under which no notice goes.")


class PolicyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: str = Field(min_length=1, max_length=32, description="Customer segment (accounts.segment).")
    levels: list[Level] = Field(min_length=1, max_length=10)


class PolicyRead(PolicyWrite):
    id: str
    version: int


class TemplateWrite(BaseModel):
    """A template's text: `str.format` fields {customer_name}, {customer_id}, {level}, {total_due}, {items},
    {as_of}, {currency}, {sender}."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


class TemplateRead(TemplateWrite):
    template: str
    language: str
    version: int


class StatementLine(BaseModel):
    invoice_id: uuid.UUID
    invoice_number: str
    due_date: date
    days_past_due: int
    amount: Amount


class StatementRead(BaseModel):
    """One dunning statement: a customer, a currency, a level; `failure_reason` and `failure_detail` say why it
    was not sent (the next run tries again)."""

    id: uuid.UUID
    run_id: uuid.UUID
    customer_id: str
    owning_team: str | None
    currency: str
    cycle: int
    level: int
    policy_id: str
    template: str
    language: str
    channel: str
    recipients: list[str]
    total_due: Amount
    as_of: date
    status: StatementStatus
    failure_reason: FailureReason | None
    failure_detail: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    items: list[StatementLine]


class StatementOutcome(BaseModel):
    statement_id: uuid.UUID
    customer_id: str
    currency: str
    level: int
    status: StatementStatus
    reason: FailureReason | None = None
    detail: str | None = None


class RunResult(BaseModel):
    run_id: str
    as_of: date
    sent: int
    already_sent: int = Field(description="Customers whose next level is not due yet.")
    skipped_disputed_or_promised: int = Field(description="Overdue invoices held by a dispute or a promise.")
    failed: int
    statements: list[StatementOutcome] = []


class RunRead(BaseModel):
    run_id: uuid.UUID
    statements: list[StatementRead]
