from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from o2c_escalation.webhooks.models import DeliveryStatus

EventType = Literal["escalation.opened", "escalation.acknowledged", "escalation.escalated", "escalation.resolved",
                    "escalation.reopened", "escalation.sla_breached"]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "ITSM bridge", "url": "https://itsm.example.com/hooks/o2c",
                                          "event_types": ["escalation.opened", "escalation.sla_breached"]}]},
    )

    name: str = Field(min_length=1, max_length=120)
    url: AnyHttpUrl
    event_types: list[EventType] = Field(min_length=1, max_length=5)


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    event_types: list[str]
    active: bool
    created_by: str
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="HMAC-SHA256 key of the signatures; shown only in this response.")


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryRead):
    log: list[AttemptRead]


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscription_id: uuid.UUID | None = Field(default=None, description="Only this subscription's deliveries.")
    since: datetime | None = Field(default=None, description="Only deliveries created at or after this instant.")


class ReplayResult(BaseModel):
    replayed: int
