from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from o2c_kpi.kpis.schemas import KpiValue, PeriodKind
from o2c_kpi.sla.schemas import SlaAttainment


class ReportKind(StrEnum):
    WEEKLY_CADENCE = "weekly-cadence"
    MONTHLY_BUSINESS_REVIEW = "monthly-business-review"
    QBR = "qbr"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


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


class SnapshotValueRead(BaseModel):
    day: date
    scope: str = Field(description="global or team:<team>.")
    name: str
    unit: str
    currency: str | None
    dimension: str | None
    value: str | None
