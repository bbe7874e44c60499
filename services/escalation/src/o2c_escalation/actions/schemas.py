from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from o2c_escalation.actions.models import ActionKind, ActionStatus


class ActionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "preventive", "description": "Validate PO numbers before submission",
                                          "owner": "billing-lead", "due_date": "2026-12-15"}]},
    )

    kind: ActionKind
    description: str = Field(min_length=1, max_length=2000)
    owner: str = Field(min_length=1, max_length=128)
    due_date: date


class ActionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ActionStatus | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    due_date: date | None = None
    description: str | None = Field(default=None, min_length=1, max_length=2000)


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    kind: ActionKind
    description: str
    owner: str
    due_date: date
    status: ActionStatus
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    version: int
