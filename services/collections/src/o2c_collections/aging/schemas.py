from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from o2c_common.events.types import Amount


class AgingRow(BaseModel):
    key: str | None
    currency: str
    as_of: date
    buckets: dict[str, Amount]
    total: Amount
