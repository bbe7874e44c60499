from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.types import Amount, Currency, NonNegativeAmount
from o2c_common.money import round_money

LANGUAGE = r"^[a-z]{2}(-[A-Z]{2})?$"
EMAIL = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"
CODE = r"^[\w.-]+$"


class Contact(BaseModel):
    """Who receives the dunning statements of an account (`dunning`: To; `dunning_copy`: Cc)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str = Field(max_length=254, pattern=EMAIL)
    language: str | None = Field(default=None, pattern=LANGUAGE, description="The contact's, if not the account's.")
    role: Literal["dunning", "dunning_copy"] = "dunning"


class AccountWrite(BaseModel):
    """The account master of one customer. Fields left out keep their value (a new account: the defaults)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    parent_customer_id: str | None = Field(default=None, min_length=1, max_length=64,
                                           description="The group parent (must exist; no cycle).")
    collector: str | None = Field(default=None, max_length=64, description="The collector working the account.")
    owning_team: str | None = Field(default=None, max_length=64, pattern=CODE,
                                    description="Internal or vendor team; moves the open items and unapplied cash.")
    segment: str | None = Field(default=None, min_length=1, max_length=32, description="Picks the dunning policy.")
    language: str | None = Field(default=None, pattern=LANGUAGE, description="Correspondence language, e.g. en, de.")
    region: str | None = Field(default=None, max_length=32)
    credit_limit: NonNegativeAmount | None = None
    credit_currency: Currency | None = None
    dunning_contacts: list[Contact] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _limit_has_currency(self) -> AccountWrite:
        if self.credit_limit is not None and self.credit_currency is None:
            raise ValueError("credit_limit needs credit_currency")
        return self


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    name: str | None
    parent_customer_id: str | None
    collector: str | None
    owning_team: str | None
    segment: str
    language: str
    region: str | None
    credit_limit: Amount | None
    credit_currency: str | None
    dunning_contacts: list[Contact]
    on_hold: bool
    version: int
    updated_at: datetime

    @model_validator(mode="after")
    def _in_minor_units(self) -> AccountRead:
        if self.credit_limit is not None:
            self.credit_limit = round_money(Decimal(self.credit_limit), self.credit_currency or "USD")
        return self


class RowError(BaseModel):
    line: int = Field(description="Line of the file (the header is line 1).")
    field: str
    detail: str


class ImportSummary(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
