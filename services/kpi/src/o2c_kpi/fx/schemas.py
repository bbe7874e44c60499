"""The FX rates' HTTP shapes: a rate, a hand-set rate, what an ECB import stored, and KPIs consolidated in a
reporting currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from o2c_kpi.fx.ecb import EcbFormat
from o2c_kpi.fx.models import RateSource
from o2c_kpi.kpis.schemas import KpiValue, PeriodKind, Unit


class RateRead(BaseModel):
    """``rate`` units of ``quote`` for one unit of ``base`` on ``rate_date`` (for a day asked, the latest rate on
    or before it)."""

    model_config = ConfigDict(from_attributes=True)

    base: str = Field(examples=["EUR"])
    quote: str = Field(examples=["USD"])
    rate_date: date
    rate: Decimal = Field(examples=["1.0705"])
    source: RateSource
    imported_at: datetime
    imported_by: str

    @field_validator("rate")
    @classmethod
    def _as_published(cls, rate: Decimal) -> Decimal:
        return trimmed(rate)


def trimmed(value: Decimal) -> Decimal:
    """A stored rate as published: ``1.0705000000`` → ``1.0705``, ``150.0000000000`` → ``150``."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class RateWrite(BaseModel):
    """A hand-set rate: units of the currency for one euro. An ECB import never overwrites it."""

    model_config = ConfigDict(extra="forbid")

    rate: Decimal = Field(gt=0, lt=Decimal(10) ** 13, decimal_places=10, examples=["1.0705"])
    base: Literal["EUR"] = Field(default="EUR", description="Every rate is quoted against the euro.")
    reason: str | None = Field(default=None, max_length=500, description="Kept in the audit trail.")


class ImportRead(BaseModel):
    """What an ECB file held and what of it was stored. Importing the same file again inserts and updates
    nothing."""

    format: EcbFormat
    first_date: date
    last_date: date
    days: int = Field(description="Rate dates in the file.")
    currencies: list[str]
    rates: int = Field(description="Rates in the file (N/A blanks left out).")
    inserted: int
    updated: int = Field(description="ECB rates stored before with another value, now replaced.")
    unchanged: int = Field(description="Rates already stored with the same value, or kept because set by hand.")
    kept_manual: int = Field(description="Of the unchanged, the hand-set rates the import left alone.")


class CurrencyShare(BaseModel):
    """One currency's part of a consolidated money KPI: its own figure, the rate used and the converted figure
    (null when the currency has no rate on or before the day, or only one more than 35 days older: it is left out of
    the total and named; `rate_date` then shows that old rate's date)."""

    currency: str
    value: Decimal | None
    rate: Decimal | None = Field(description="Units of the reporting currency for one unit of `currency`.")
    rate_date: date | None
    converted: Decimal | None

    @field_validator("rate")
    @classmethod
    def _short(cls, rate: Decimal | None) -> Decimal | None:
        return None if rate is None else trimmed(rate)


class ConsolidatedValue(BaseModel):
    """A money KPI summed across currencies in the reporting currency, with every currency's part."""

    name: str
    unit: Unit
    currency: str = Field(description="The reporting currency.")
    dimension: str | None = None
    value: Decimal | None = Field(description="Sum of the converted parts; null when no part could be converted.")
    missing: list[str] = Field(description="Currencies left out of `value` for want of a rate.")
    note: str | None = None
    detail: list[CurrencyShare]


class ConsolidatedRead(BaseModel):
    """KPIs of a period and scope with the money ones consolidated in `currency` at the rates in force on
    `as_of`; the KPIs that are not money (days, percents, counts) are in `other_values` as computed, per
    currency where they are per currency."""

    period_kind: PeriodKind
    period_start: date
    period_end: date
    as_of: date
    scope: dict[str, str | None]
    currency: str
    rate_date: date | None = Field(description="The newest rate date used (rates on or before `as_of`).")
    missing_currencies: list[str] = Field(
        description="Currencies with money but no rate, or only one more than 35 days before `as_of`: named, not "
                    "guessed.")
    values: list[ConsolidatedValue]
    other_values: list[KpiValue]
