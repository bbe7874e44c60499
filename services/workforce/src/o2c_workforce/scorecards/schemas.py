from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["agent", "team", "vendor"]
Verdict = Literal["top", "steady", "under"]


class Scorecard(BaseModel):
    level: Level
    key: str
    name: str
    team: str | None = Field(default=None, description="Agent cards: the agent's team.")
    vendor: str | None = None
    headcount: int = Field(description="Agents employed at the end of the period (1 for an agent).")
    items: int
    items_per_day: Decimal | None = Field(description="Items per rostered agent-day of the period.")
    average_handling_minutes: Decimal | None
    sla_attainment: Decimal | None = Field(description="Percent of timed items handled within their target.")
    quality: Decimal | None = Field(description="Average review score, percent.")
    reviewed: int
    backlog_oldest_hours: Decimal | None = Field(description="Oldest open item of the team(s), hours.")
    attrition: Decimal | None = Field(description="Team/vendor: leavers over average headcount, percent.")
    tenure_months: Decimal | None = Field(description="Agent: months employed; team/vendor: average.")
    index: Decimal | None = Field(description="Mean of quality, SLA attainment and productivity (percent of the "
                                              "team median, at most 100).")
    rank: int | None
    verdict: Verdict
    reasons: list[str]
    summary: str


class Scorecards(BaseModel):
    level: Level
    since: date
    until: date
    targets: dict[str, str]
    cards: list[Scorecard]
