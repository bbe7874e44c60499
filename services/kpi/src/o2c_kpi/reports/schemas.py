from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from o2c_kpi.kpis.schemas import KpiValue, PeriodKind
from o2c_kpi.operations.schemas import OperationsRead
from o2c_kpi.sla.schemas import SlaAttainment


class ReportKind(StrEnum):
    DAILY_HUDDLE = "daily-huddle"
    WEEKLY_CADENCE = "weekly-cadence"
    MONTHLY_BUSINESS_REVIEW = "monthly-business-review"
    QBR = "qbr"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"


class Detail(StrEnum):
    """How much a review shows: the headline (currencies with activity only) or every currency's values."""

    HEADLINE = "headline"
    CURRENCY = "currency"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class TrendPoint(BaseModel):
    label: str = Field(description="The period: 2026-W47, 2026-11 …")
    period_start: date
    period_end: date
    value: KpiValue | None = Field(description="None when the KPI had no value in that period.")


class Trend(BaseModel):
    name: str
    title: str
    unit: str
    currency: str | None = None
    points: list[TrendPoint]


class TeamAttainment(BaseModel):
    team: str
    met: int
    total: int = Field(description="met + breaches.")
    breaches: int = Field(default=0, description="The team's SLA breaches in the period (open or recovered since).")
    attainment_percent: str | None = Field(description="Over every SLA of the team, 2 decimals.")
    definitions: list[SlaAttainment]


class Tile(BaseModel):
    """One headline KPI as a lead reads it: its title, value, target and the previous period's value."""

    name: str = Field(description="The KPI (see GET /kpis/definitions).")
    title: str = Field(description="Its readable title.")
    unit: str
    currency: str | None = None
    value: Decimal | None
    shown: str = Field(description="The value as a person reads it: 1,500.00 USD, 12.5 %, —.")
    previous: Decimal | None = Field(description="The same KPI in the previous period.")
    previous_shown: str
    direction: Direction | None = Field(description="How the value moved since the previous period; None when "
                                        "either is missing.")
    change: Decimal | None = Field(description="value - previous.")
    good: bool | None = Field(description="Whether the move is good for this KPI (DSO down is good); None when "
                              "flat, unknown or neutral.")
    target: Decimal | None = Field(default=None, description="From the SLA definition on this KPI, if any.")
    target_shown: str | None = Field(default=None, description="≥ 95 %, ≤ 45 days …")
    on_target: bool | None = Field(default=None, description="None without a target or a value.")


class ReviewParetoBar(BaseModel):
    label: str
    value: Decimal
    cumulative_percent: Decimal = Field(description="Share of the total up to and including this bar.")


class ReviewPareto(BaseModel):
    title: str
    unit: str
    bars: list[ReviewParetoBar] = Field(description="Largest first.")
    available: bool = Field(default=True, description="False: the source of this chart is not available yet.")


class DueItem(BaseModel):
    """Work due on the day: SLA clocks running out, receivables falling due."""

    what: str
    team: str | None
    count: int
    amount: Decimal | None = None
    currency: str | None = None


class BreachLine(BaseModel):
    sla: str
    team: str | None
    subject: str | None
    actual: str
    target: str
    severity: str
    breached_at: datetime
    status: str


class EscalationLine(BaseModel):
    item: str
    team: str
    agent: str
    opened: date | None
    age_days: int | None


class SectionStatus(BaseModel):
    """A section fed by another part of the service (quality, capacity, corrective actions): shown as not
    available until that source exists."""

    name: str
    available: bool
    note: str | None = None


class ReportRead(BaseModel):
    """A business review: headline KPIs of the period, their trend over earlier periods, and each vendor
    team's SLA attainment. Numbers are decimal strings, like every KPI of the service."""

    report: ReportKind
    title: str
    period_kind: PeriodKind = Field(description="week, month or quarter.")
    period_label: str
    period_start: date
    period_end: date
    team: str | None = Field(description="The team the KPIs are scoped to; None: every team.")
    generated_at: datetime
    headline: list[KpiValue]
    trends: list[Trend]
    sla_attainment: list[TeamAttainment]
    breaches: int = Field(description="SLA breaches in the period (sla.breached emitted): the teams' breaches "
                          "plus the unassigned ones.")
    unassigned_breaches: int = Field(default=0, description="Breaches of no team in the period (global SLAs over "
                                     "facts without an owning team); 0 in a team's report.")
    previous_label: str | None = Field(default=None, description="The period the tiles are compared with.")
    tiles: list[Tile] = Field(default_factory=list, description="The headline KPIs as tiles: currencies with "
                              "no activity in either period left out.")
    detail: list[KpiValue] = Field(default_factory=list, description="Every currency's and breakdown's values "
                                   "(detail=currency only).")
    pareto: list[ReviewPareto] = Field(default_factory=list, description="Rejection reasons, dispute root causes.")
    due_today: list[DueItem] = Field(default_factory=list, description="Daily huddle: work due on the day after "
                                     "the period.")
    breach_list: list[BreachLine] = Field(default_factory=list, description="The breaches of the period, most "
                                          "severe first (at most 20).")
    escalations: list[EscalationLine] = Field(default_factory=list, description="Open escalations, oldest first "
                                              "(at most 10).")
    sections: list[SectionStatus] = Field(default_factory=list)
    narrative: list[str] = Field(default_factory=list, description="3 to 6 sentences generated from the numbers.")
    reporting_currency: str | None = Field(default=None, description="Money KPIs consolidated in this currency "
                                           "(currency=…); None: per currency.")
    fx_rate_date: date | None = Field(default=None, description="The newest FX rate date used.")
    fx_missing: list[str] = Field(default_factory=list, description="Currencies with money but no rate: left out of "
                                  "the consolidated figures and named.")
    operations: OperationsRead | None = Field(default=None, description="Quality per vendor and team, Pareto data, "
                                              "open work and capacity outlook (GET /reviews/operations).")


class SnapshotValueRead(BaseModel):
    day: date
    scope: str = Field(description="global or team:<team>.")
    name: str
    unit: str
    currency: str | None
    dimension: str | None
    value: str | None
