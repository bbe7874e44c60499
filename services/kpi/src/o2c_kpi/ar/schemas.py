from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from o2c_common.events.types import Amount


class OpenArByCurrency(BaseModel):
    currency: str
    amount: Amount
    invoices: int


class OpenArRead(BaseModel):
    as_of: date
    totals: list[OpenArByCurrency]
