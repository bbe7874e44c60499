from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from o2c_common.events.types import Amount

AGE_BUCKETS = ((2, "0-2"), (7, "3-7"), (14, "8-14"), (30, "15-30"))
OLDEST_BUCKET = "31+"
"""Age of an invoice (days since its issue date, or since it was prepared when not issued yet) at the report's
as-of date."""


class CadenceRow(BaseModel):
    customer_id: str
    customer_name: str | None
    owner: str
    owning_team: str | None
    channel: str
    status: str
    age_bucket: str
    currency: str
    count: int
    amount: Amount


class StatusTotal(BaseModel):
    status: str
    currency: str
    count: int
    amount: Amount


class CadenceReport(BaseModel):
    """The invoices of one ISO week (issued in it, or prepared in it and not issued yet), by account, owner,
    channel, current status and age bucket, with counts and gross amounts per currency."""

    week: str
    week_start: date
    week_end: date
    as_of: date
    generated_at: datetime
    team: str | None
    rows: list[CadenceRow]
    by_status: list[StatusTotal]


CSV_COLUMNS = ("week", "customer_id", "customer_name", "owner", "owning_team", "channel", "status", "age_bucket",
               "currency", "count", "amount")
