from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_collections.promises.models import PromiseStatus
from o2c_common.events.types import Amount, Currency, PositiveAmount
from o2c_common.money import round_money


class PromiseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_entity: str = Field(min_length=1, max_length=20)
    customer_id: str = Field(min_length=1, max_length=64)
    currency: Currency
    amount: PositiveAmount
    promised_date: Annotated[date, Field(ge=date(2000, 1, 1))]  # the upper bound depends on today: service.py
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class PromiseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    legal_entity: str
    customer_id: str
    owning_team: str | None
    currency: str
    amount: Amount
    paid_amount: Amount
    promised_date: date
    invoice_ids: list[str]
    status: PromiseStatus
    recorded_by: str
    decided_on: date | None
    recorded_at: datetime

    @model_validator(mode="after")
    def _in_minor_units(self) -> PromiseRead:
        self.amount = round_money(Decimal(self.amount), self.currency)
        self.paid_amount = round_money(Decimal(self.paid_amount), self.currency)
        return self


class CheckResult(BaseModel):
    as_of: date
    kept: int
    broken: int
