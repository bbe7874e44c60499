from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from o2c_workforce.contingency.models import Trigger
from o2c_workforce.processes import Process


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Portal rejections surge", "process": "invoice_submission", "trigger": "sla_breached",
        "match": "first_pass_acceptance_rate", "owner": "lee",
        "steps": ["Freeze submissions to the portal", "Second review of every PO", "Daily call with the vendor"]}]})

    name: str = Field(min_length=1, max_length=200)
    process: Process
    trigger: Trigger
    match: str | None = Field(default=None, max_length=64,
                              description="escalation_opened: case category; sla_breached: KPI metric; none: any.")
    owner: str = Field(min_length=1, max_length=128)
    steps: list[str] = Field(min_length=1, max_length=50)


class InvokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class InvocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    trigger: Trigger
    source_key: str
    reason: str
    invoked_by: str
    invoked_at: datetime


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    process: str
    trigger: Trigger
    match: str | None
    owner: str
    steps: list[str]
    active: bool
    version: int
