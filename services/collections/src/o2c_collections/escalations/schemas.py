from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.escalations.models import BreachStatus
from o2c_common.events.types import NonNegativeAmount, Severity


class RuleWrite(BaseModel):
    """Every condition given must hold; at least one is needed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    min_days_past_due: int | None = Field(default=None, ge=1, le=3650, description=(
        "Items at least this many days past due count; their overdue amount is the rule's amount."))
    min_overdue_amount: NonNegativeAmount | None = None
    min_broken_promises: int | None = Field(default=None, ge=1, le=100)
    severity: Severity | None = None

    @model_validator(mode="after")
    def _some_condition(self) -> RuleWrite:
        if self.min_days_past_due is None and self.min_overdue_amount is None and self.min_broken_promises is None:
            raise ValueError("a rule needs at least one condition")
        return self


class RuleRead(RuleWrite):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int


class BreachRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rule_id: str
    customer_id: str
    currency: str
    status: BreachStatus
    opened_on: date
    cleared_on: date | None
    created_at: datetime


class RunResult(BaseModel):
    as_of: date
    escalated: int = Field(description="New breaches: one balance.overdue_escalated each.")
    already_open: int = Field(description="Breaches still met from an earlier run: nothing emitted.")
    cleared: int = Field(description="Open breaches no longer met (a later breach is a new one).")
