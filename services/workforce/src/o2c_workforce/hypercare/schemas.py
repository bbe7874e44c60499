from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_workforce.processes import Process


class WindowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "team": "vendor-a", "process": "invoice_submission", "starts_on": "2026-12-01", "ends_on": "2026-12-31",
        "target_minutes": {"invoice_submission": 240}, "sampling_boost": 3}]})

    team: str = Field(min_length=1, max_length=64)
    process: Process | None = Field(default=None, description="None: every process of the team.")
    starts_on: date
    ends_on: date
    target_minutes: dict[Process, int] = Field(default={}, description="Tighter handling-time targets, minutes.")
    sampling_boost: int = Field(default=2, ge=1, le=10, description="Sampling multiplied by this while it runs.")
    notes: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _dates(self) -> WindowCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if any(v <= 0 for v in self.target_minutes.values()):
            raise ValueError("target_minutes must be positive")
        return self


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_date: date
    findings: str = Field(min_length=1, max_length=4000)
    actions: str | None = Field(default=None, max_length=4000)


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    review_date: date
    findings: str
    actions: str | None
    reviewer: str
    reviewed_at: datetime


class WindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team: str = Field(validation_alias="owning_team")
    process: str | None
    starts_on: date
    ends_on: date
    target_minutes: dict[str, int]
    sampling_boost: int
    notes: str | None
    created_by: str
    closed_at: datetime | None
    version: int
    reviews: list[ReviewRead] = []
    missing_reviews: list[date] = Field(default=[], description="Days of the window, up to today, not reviewed.")
