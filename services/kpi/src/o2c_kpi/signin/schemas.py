from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.http.dates import BoundedDate
from o2c_kpi.reports.schemas import ReportKind


class ReportLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ReportKind
    date: BoundedDate = Field(description="A day in the review's period.")
    team: str | None = Field(default=None, min_length=1, max_length=64,
                             description="The team the review is scoped to (a vendor agent: its own, always).")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="The reporting currency.")
    valid_days: int | None = Field(default=None, ge=1, description=(
        "How long the link opens the review (default KPI_REPORT_LINK_DAYS, at most KPI_REPORT_LINK_MAX_DAYS)."))


class ReportLinkRead(BaseModel):
    url: str = Field(description="The signed address of the review: share it, it carries no bearer token.")
    kind: ReportKind
    date: date
    team: str | None
    currency: str | None
    expires_at: datetime


class ReportLinkRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description=(
        "The signed link to revoke, as it was given out (absolute, or its path from /reports/)."))
    reason: str = Field(min_length=1, max_length=500, description="Why (kept in the audit trail).")


class ReportLinkRevocationRead(BaseModel):
    kind: ReportKind
    date: date
    team: str | None
    currency: str | None
    expires_at: datetime = Field(description="When the link would have expired; refused until then.")
    revoked_at: datetime
    revoked_by: str
    reason: str
