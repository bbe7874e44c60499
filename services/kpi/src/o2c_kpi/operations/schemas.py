"""What ``review_operations`` returns: for the period and the previous one (the same shape, so a page can draw
arrows) the quality per vendor and team, the Pareto data of portal rejections and dispute root causes and the open
corrective actions and escalations per team; and the latest capacity outlook of each queue. A section is ``None``
when its data is not available."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class DefectCount(BaseModel):
    code: str
    label: str = Field(description="The taxonomy's label, or the code made readable.")
    count: int


class DefectCategoryCount(BaseModel):
    category: str = Field(description="data, compliance, customer_impact, process, communication or uncategorised.")
    label: str
    count: int
    defects: list[DefectCount] = Field(description="Most frequent first.")


class QualityFigures(BaseModel):
    reviewed: int = Field(description="Items reviewed in the period.")
    average_score: Decimal | None = Field(description="Mean checklist score in percent; none when nothing reviewed.")
    average_score_text: str = Field(description="e.g. '92.5 %' or '—'.")
    defects: int
    by_category: list[DefectCategoryCount] = Field(description="Most frequent category first.")


class TeamQuality(BaseModel):
    team: str
    figures: QualityFigures


class VendorQuality(BaseModel):
    vendor_code: str | None = Field(description="None: internal teams (or teams no vendor was heard of).")
    vendor: str = Field(description="The vendor's name, or 'Internal teams'.")
    figures: QualityFigures
    teams: list[TeamQuality]


class QualityRead(BaseModel):
    overall: QualityFigures
    vendors: list[VendorQuality]


class Money(BaseModel):
    currency: str
    amount: Decimal
    text: str = Field(description="e.g. '1,250.00 USD'.")


class ParetoBar(BaseModel):
    code: str
    label: str
    count: int
    share_percent: Decimal = Field(description="This bar's share of all counts.")
    cumulative_percent: Decimal = Field(description="Share of the bars up to this one (the Pareto line).")
    amounts: list[Money] = Field(description="Amounts per currency (invoices rejected, amounts disputed).")
    examples: list[str] = Field(default=[], description="Up to 3 portal reason codes and texts, most frequent first.")


class Pareto(BaseModel):
    title: str
    total: int
    bars: list[ParetoBar] = Field(description="Descending by count, then by label.")


class OpenItem(BaseModel):
    id: uuid.UUID
    reference: str = Field(description="Case number.")
    title: str
    opened_at: datetime
    age_days: int
    age_text: str = Field(description="e.g. '12 days'.")
    owner: str = Field(description="Assignee or action owner, or '—'.")
    detail: str = Field(description="Severity and tier of a case; kind and due date of an action.")


class OpenList(BaseModel):
    count: int
    oldest_age_days: int | None
    top: list[OpenItem] = Field(description="The 5 oldest, oldest first.")


class TeamOpenWork(BaseModel):
    team: str
    escalations: OpenList
    corrective_actions: OpenList


class OperationsPeriod(BaseModel):
    start: date
    end: date
    quality: QualityRead | None
    rejection_reasons: Pareto | None
    dispute_root_causes: Pareto | None
    open_work: list[TeamOpenWork] | None = Field(description="Open at the end of the period, per team.")


class OutlookDayRead(BaseModel):
    day: date
    forecast_arrivals: Decimal
    required_agents: int
    rostered_agents: int
    gap: int
    summary: str


class QueueOutlook(BaseModel):
    process: str
    process_label: str
    team: str | None
    model: str
    published_at: datetime
    short_days: int = Field(description="Days with fewer agents rostered than required.")
    days: list[OutlookDayRead]


class OperationsRead(BaseModel):
    team: str | None = Field(description="The team the figures are narrowed to; none: every team.")
    current: OperationsPeriod
    previous: OperationsPeriod
    capacity_outlook: list[QueueOutlook] | None = Field(
        description="The latest outlook of each queue for its next 5 working days.")
