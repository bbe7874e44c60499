from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field


class Headline(BaseModel):
    name: str = Field(description="Readable name, e.g. 'SLA attainment'.")
    value: Decimal | None
    value_text: str
    previous_text: str
    target_text: str
    trend: Literal["up", "down", "flat", "new"]
    arrow: Literal["▲", "▼", "▶", "•"]
    status: Literal["good", "bad", "neutral"] = Field(description="Against the target (or the trend without one).")


class ParetoBar(BaseModel):
    label: str
    count: int
    cumulative_percent: Decimal


class VendorReview(BaseModel):
    vendor: str
    vendor_name: str
    since: date
    until: date
    previous_since: date
    headlines: list[Headline]
    rejection_reasons: list[ParetoBar] = Field(description="First-pass rejections of the vendor's preparers.")
    defects: list[ParetoBar] = Field(description="Quality review defects of the vendor's agents.")
    under_performers: list[str]
    top_performers: list[str]
    open_improvement_plans: int
    contingency_invocations: list[str]
    capacity_outlook: list[str] = Field(description="Days of the coming week a queue of the vendor is short.")
    narrative: list[str] = Field(description="What changed and why, in sentences.")
