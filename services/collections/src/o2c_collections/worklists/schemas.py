from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from o2c_collections.credit.schemas import Factor
from o2c_common.events.types import Amount
from o2c_common.money import round_money

Bucket = Literal["1-30", "31-60", "61-90", "91-120", ">120"]
BUCKET_DAYS: dict[str, tuple[int, int | None]] = {"1-30": (1, 30), "31-60": (31, 60), "61-90": (61, 90),
                                                   "91-120": (91, 120), ">120": (121, None)}


class WorklistRow(BaseModel):
    """An account (customer and currency) to work, with the figures that rank it."""

    customer_id: str
    name: str | None
    collector: str | None
    owning_team: str | None
    currency: str
    overdue_amount: Amount
    overdue_items: int
    max_days_past_due: int
    bucket: str
    broken_promises: int
    risk_score: int = Field(description="The customer's credit risk score (0 best, 100 worst), as GET /credit shows.")
    risk_factors: list[Factor] = Field(description="What makes the score: each factor's value and points.")
    risk_weight: Decimal = Field(description="1 + risk score / 100: from 1.00 (no risk) to 2.00.")
    late_probability: Decimal | None = Field(
        default=None, description="Of the customer's riskiest open invoice, the late-payment model's probability of "
                                  "being paid late (absent until a model is trained: POST /risk/model/training); it "
                                  "adds up to 20 points to the risk score.")
    expected_days_late: Decimal | None = Field(default=None, description="That invoice's expected days late.")
    priority: Decimal = Field(description="overdue amount x days past due x risk weight")
    explanation: str
    as_of: date

    @model_validator(mode="after")
    def _in_minor_units(self) -> WorklistRow:
        self.overdue_amount = round_money(Decimal(self.overdue_amount), self.currency)
        return self


def bucket_of(days: int) -> str:
    for name, (low, high) in BUCKET_DAYS.items():
        if days >= low and (high is None or days <= high):
            return name
    return "current"
