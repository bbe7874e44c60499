from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from o2c_workforce.processes import Process
from o2c_workforce.training.models import TrainingReason, TrainingStatus


class SopCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "SOP-BILL-01", "title": "Invoice preparation and portal submission",
        "processes": ["invoice_preparation", "invoice_submission"]}]})

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    title: str = Field(min_length=1, max_length=200)
    processes: list[Process] = Field(min_length=1)


class SopVersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "effective_from": "2026-12-01", "summary": "PO number checked against the portal before submission"}]})

    effective_from: date
    summary: str = Field(min_length=1, max_length=4000)
    training_due_days: int = Field(default=14, ge=0, le=365, description="Training due this many days after.")


class SopVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    effective_from: date
    summary: str
    published_by: str
    published_at: datetime


class SopRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    title: str
    processes: list[str]
    versions: list[SopVersionRead] = []


class PublishedVersion(SopVersionRead):
    assigned: int = Field(description="Agents assigned the training of this version.")


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: uuid.UUID
    sop_code: str
    version: int | None = Field(default=None, description="None: the version in force today.")
    due_date: date | None = None
    reason: TrainingReason = TrainingReason.MANUAL


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID
    team: str = Field(validation_alias="owning_team")
    sop_version_id: uuid.UUID
    reason: TrainingReason
    defect_code: str | None
    due_date: date | None
    status: TrainingStatus
    assigned_by: str
    assigned_at: datetime
    completed_at: datetime | None
    version: int


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID
    team: str = Field(validation_alias="owning_team")
    process: str
    sop_version_id: uuid.UUID
    first_item_key: str
    items: int
    flagged_at: datetime
    cleared_at: datetime | None
