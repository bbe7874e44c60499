from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.events.types import Severity

Category = Literal["billing", "portal", "collections", "cash_application", "dispute", "other"]
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
    customer_id: str | None = Field(default=None, max_length=64)
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    owning_team: str | None = Field(default=None, max_length=64,
                                    description="Vendor team owning the account; defaults to the L1 desk.")


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
    customer_id: str | None
    invoice_ids: list[uuid.UUID]
    source: str
    status: str
    opened_at: datetime
    version: int
