from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.events.types import NonNegativeAmount


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


class RunResult(BaseModel):
    run_id: str
    as_of: date
    sent: int
    already_sent: int
    skipped_disputed_or_promised: int
    failed: int
