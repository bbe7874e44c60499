from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.credit.models import HoldReason, ReleaseReason
from o2c_common.events.types import Amount, Currency, NonNegativeAmount


class Factor(BaseModel):
    """One input of the score: its value, the points it adds and why."""

    factor: Literal["average_days_late", "days_late_trend", "broken_promises", "disputes", "predicted_late_payment"]
    value: Decimal
    points: int
    max_points: int
    explanation: str


class CreditProfile(BaseModel):
    customer_id: str
    as_of: date
    risk_score: int = Field(ge=0, le=100, description="0 best, 100 worst; the sum of the factors' points.")
    factors: list[Factor]
    credit_limit: Amount | None
    credit_currency: str | None
    exposure: Amount = Field(description="Open AR (in the limit's currency when a limit is set).")
    available: Amount | None = Field(description="Credit limit minus exposure.")
    over_limit: bool
    on_hold: bool
    hold_id: str | None
    hold_reason: str | None
    hold_placed_at: datetime | None


class LimitWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credit_limit: NonNegativeAmount
    currency: Currency


class HoldPlace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: HoldReason = HoldReason.MANUAL
    legal_entity: str | None = Field(default=None, min_length=1, max_length=20,
                                     description="Default: the entity of the customer's latest invoice.")


class HoldRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReleaseReason = ReleaseReason.MANUAL
    legal_entity: str | None = Field(default=None, min_length=1, max_length=20)


class HoldRuleWrite(BaseModel):
    """Every condition given must hold (at least one): over the credit limit, and/or a risk score at least this."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, examples=["over limit"])
    over_limit: bool = False
    min_risk_score: int | None = Field(default=None, ge=0, le=100, examples=[70])

    @model_validator(mode="after")
    def _some_condition(self) -> HoldRuleWrite:
        if not self.over_limit and self.min_risk_score is None:
            raise ValueError("a rule needs a condition: over_limit and/or min_risk_score")
        return self


class HoldRuleRead(HoldRuleWrite):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int


class HoldRunResult(BaseModel):
    as_of: date
    evaluated: int = Field(description="Customers with open AR, a credit limit or a hold.")
    placed: int
    released: int
    unchanged_on_hold: int
