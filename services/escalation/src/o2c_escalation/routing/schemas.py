from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.events.contracts.escalation import Category
from o2c_common.events.types import Severity


class RoutingRuleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "EMEA portal issues", "priority": 10, "category": "portal",
                                          "region": "EMEA", "team": "vendor-b"}]},
    )

    name: str = Field(min_length=1, max_length=120)
    priority: int = Field(ge=0, le=1_000_000, description="Lower wins; ties by creation time.")
    category: Category | None = None
    region: str | None = Field(default=None, min_length=1, max_length=32)
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    severity: Severity | None = None
    team: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                      description="The L1 team (queue) that gets matching cases.")


class RoutingRuleRead(RoutingRuleCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    version: int
