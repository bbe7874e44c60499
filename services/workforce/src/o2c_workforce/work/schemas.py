from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class AgentDay(BaseModel):
    agent: str
    day: date
    process: str
    items: int
    average_handling_minutes: Decimal | None
    average_handling_text: str


class QueueBacklog(BaseModel):
    process: str
    process_name: str
    team: str | None
    open_items: int
    oldest_arrival: datetime
    oldest_age_hours: Decimal = Field(description="Age of the oldest open item, hours.")
    oldest_age_text: str
