from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.contracts.escalation import Category
from o2c_common.events.types import Severity
from o2c_escalation.cases.states import CaseStatus, Resolution, Tier, Transition

Function = Literal["sales", "operations", "finance", "customer_service", "other"]


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
    tier: Tier
    owning_team: str
    l1_team: str
    assignee: str | None
    customer_id: str | None
    legal_entity: str | None
    region: str | None
    invoice_ids: list[uuid.UUID]
    source: str
    source_key: str | None
    status: CaseStatus
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

    from_status: CaseStatus | None
    to_status: CaseStatus
    actor: str
    note: str | None
    changed_at: datetime


class OwnershipChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tier: Tier
    team: str
    assignee: str | None
    reason: str
    actor: str
    changed_at: datetime


class CaseHistory(BaseModel):
    status: list[StatusChangeRead]
    ownership: list[OwnershipChangeRead]


class TransitionWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "acknowledge"},
                                        {"action": "resolve", "resolution": "fixed", "root_cause": "po_mismatch",
                                         "note": "PO corrected, invoice resubmitted"}]},
    )

    action: Transition
    note: str | None = Field(default=None, max_length=2000)
    resolution: Resolution | None = Field(default=None, description="Required to resolve.")
    root_cause: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$",
                                   description="A root-cause code such as po_mismatch (resolve only).")

    @model_validator(mode="after")
    def _resolution_with_resolve(self) -> TransitionWrite:
        if self.action == Transition.RESOLVE and self.resolution is None:
            raise ValueError("resolution is required to resolve a case")
        if self.action != Transition.RESOLVE and (self.resolution is not None or self.root_cause is not None):
            raise ValueError("resolution and root_cause are only given to resolve a case")
        return self


class EscalateWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "customer CFO involved"}]})

    reason: str = Field(min_length=1, max_length=500)
