from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from o2c_workforce.capacity.models import StaffingModel
from o2c_workforce.processes import Process


class QueueWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"model": "erlang_c", "team": "l1-desk", "handling_minutes": "10", "open_hours": "8", "shrinkage": "0.25",
         "service_level": "80", "answer_minutes": "5", "target_minutes": 240},
        {"model": "workload", "handling_minutes": "6", "shrinkage": "0.3", "target_minutes": 1440}]})

    model: StaffingModel
    team: str | None = Field(default=None, max_length=64, description="None: the queue of every team.")
    handling_minutes: Decimal | None = Field(default=None, gt=0, le=100000, decimal_places=2,
                                             description="None: measured from the completed items.")
    open_hours: Decimal = Field(default=Decimal(8), gt=0, le=24, decimal_places=2)
    shrinkage: Decimal = Field(default=Decimal("0.3"), ge=0, lt=1, decimal_places=3,
                               description="Share of rostered time not available for work (breaks, training).")
    occupancy: Decimal = Field(default=Decimal("0.85"), gt=0, le=1, decimal_places=3)
    service_level: Decimal = Field(default=Decimal(80), gt=0, lt=100, decimal_places=2,
                                   description="Erlang C: percent of items started within answer_minutes.")
    answer_minutes: Decimal = Field(default=Decimal(5), gt=0, decimal_places=2)
    target_minutes: int = Field(default=480, ge=1, description="SLA: minutes from arrival to completion.")


class QueueRead(QueueWrite):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    process: str
    team: str | None = Field(default=None, validation_alias="owning_team")
    version: int


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "process": "case_handling", "start": "2026-12-21", "days": 11, "history_weeks": 4,
        "volume_factor": "1.2", "leaving": ["carl"], "holidays": ["2026-12-24"]}]})

    process: Process
    start: date
    days: int = Field(default=7, ge=1, le=31)
    history_weeks: int = Field(default=8, ge=1, le=52)
    volume_factor: Decimal = Field(default=Decimal(1), gt=0, le=10, description="What-if: 1.2 for volume +20 %.")
    leaving: list[str] = Field(default=[], description="What-if: these agents (logins) are gone.")
    holidays: list[date] = Field(default=[], description="What-if: nobody is rostered on these days.")


class DayPlan(BaseModel):
    day: date
    month_end: bool
    forecast_arrivals: Decimal
    workload_hours: Decimal
    traffic_erlangs: Decimal | None = Field(description="Erlang C: arrival rate x handling time.")
    agents_working: int = Field(description="Agents needed at work at once (before shrinkage).")
    service_level: Decimal | None = Field(description="Erlang C: percent answered in time with agents_working.")
    required_agents: int = Field(description="Agents to roster: agents_working / (1 - shrinkage), rounded up.")
    rostered_agents: int
    gap: int = Field(description="rostered - required: negative is short.")
    summary: str


class CapacityPlan(BaseModel):
    process: str
    model: StaffingModel
    model_statement: str
    handling_minutes: Decimal
    handling_source: str
    weekday_means: dict[int, Decimal]
    month_end_factor: Decimal
    history_days: int
    days: list[DayPlan]


class OutlookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"start": "2026-12-21"}]})

    start: date | None = Field(default=None, description="First day looked at (default: tomorrow).")
    working_days: int = Field(default=5, ge=1, le=20, description="Working days (Monday to Friday) per queue.")
    history_weeks: int = Field(default=8, ge=1, le=52)


class SkippedQueue(BaseModel):
    process: str
    reason: str


class OutlookPublished(BaseModel):
    start: date
    published: list[CapacityPlan] = Field(description="Each queue's outlook as published: its working days only.")
    skipped: list[SkippedQueue] = Field(description="Queues with no outlook (no handling time measured yet).")
