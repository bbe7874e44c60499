from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_workforce.improvement.models import PlanOutcome, PlanStatus


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "agent_id": "6f2c1a8e-0b7d-5c4e-9a31-2d8f5e7b4c10", "starts_on": "2026-12-01", "ends_on": "2027-01-31",
        "goals": ["Quality score of 95 % or more", "No first-pass rejection for a missing PO"]}]})

    agent_id: uuid.UUID
    goals: list[str] = Field(min_length=1, max_length=20)
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _dates(self) -> PlanCreate:
        if self.ends_on <= self.starts_on:
            raise ValueError("ends_on must be after starts_on")
        if any(not g.strip() for g in self.goals):
            raise ValueError("a goal cannot be blank")
        return self


class PlanReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_date: date
    progress: Literal["on_track", "off_track", "goals_met"]
    notes: str = Field(min_length=1, max_length=4000)


class PlanClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: PlanOutcome
    note: str = Field(min_length=1, max_length=4000)


class PlanReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    review_date: date
    progress: str
    notes: str
    reviewer: str


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID
    team: str = Field(validation_alias="owning_team")
    goals: list[str]
    starts_on: date
    ends_on: date
    status: PlanStatus
    outcome: PlanOutcome | None
    outcome_note: str | None
    created_by: str
    closed_at: datetime | None
    version: int
    reviews: list[PlanReviewRead] = []
