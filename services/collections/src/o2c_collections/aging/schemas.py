from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from o2c_common.events.types import Amount


class AgingRow(BaseModel):
    key: str | None
    currency: str
    as_of: date
    buckets: dict[str, Amount]
    total: Amount


class AgingPage(BaseModel):
    """One page of aging rows (ordered by key, then currency) and, on the first page, the totals per currency."""

    items: list[AgingRow]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null at the end.")
    totals: list[AgingRow] | None = Field(
        None, description="Per currency, the sum over every key (all pages); given on the first page only.")
