from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

CountBy = Literal["category", "root_cause", "severity", "owning_team", "status"]
AGING_BUCKETS = ("0-1d", "1-3d", "3-7d", "7-14d", "14d+")


class AgingRow(BaseModel):
    severity: str
    buckets: dict[str, int]
    total: int


class AgingReport(BaseModel):
    as_of: datetime
    rows: list[AgingRow]


class CountRow(BaseModel):
    key: str | None
    count: int


class CountReport(BaseModel):
    by: CountBy
    rows: list[CountRow]
