from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from o2c_common.events.contracts.escalation import Category
from o2c_common.events.types import Severity

Function = Literal["sales", "operations", "finance", "customer_service", "other"]
CaseStatus = Literal["open", "acknowledged", "in_progress", "waiting_on_requester", "resolved", "closed"]


class CaseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "title": "Customer says invoice stuck in Coupa", "description": "Rejected twice, PO mismatch",
            "requester_function": "sales", "category": "portal", "severity": "P2", "customer_id": "CUST-1001",
        }]},
    )

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    requester_function: Function
    category: Category
    severity: Severity
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    legal_entity: str | None = Field(default=None, min_length=1, max_length=32)
    region: str | None = Field(default=None, min_length=1, max_length=32)
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    owning_team: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                                    description="Vendor team owning the account; else routing rules decide.")


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    title: str
    description: str
    requester: str
    requester_function: str
    category: str
    severity: str
    tier: str
    owning_team: str
    l1_team: str
    assignee: str | None
    customer_id: str | None
    legal_entity: str | None
    region: str | None
    invoice_ids: list[uuid.UUID]
    source: str
    source_key: str | None
    status: str
    opened_at: datetime
    acknowledge_due_at: datetime | None
    resolve_due_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    root_cause: str | None
    breach_count: int
    reopened_count: int
    contingency_plan_url: str | None
    contingency_plan_note: str | None
    version: int


class AssignmentWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"assignee": "agent-7"}]})

    assignee: str | None = Field(min_length=1, max_length=128, description="Subject of the new owner; null unassigns.")
    team: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                             description="Move to another team's queue (supervisors and leads only).")
    reason: str | None = Field(default=None, max_length=500)


class ContingencyPlanWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    note: str | None = Field(default=None, max_length=2000)


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor: str
    note: str | None
    changed_at: datetime


class OwnershipChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tier: str
    team: str
    assignee: str | None
    reason: str
    actor: str
    changed_at: datetime


class CaseHistory(BaseModel):
    status: list[StatusChangeRead]
    ownership: list[OwnershipChangeRead]
