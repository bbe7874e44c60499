"""The KPI interface: a period, a scope, and the values computed for them (see docs/kpi.md)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from o2c_common.errors import UnprocessableEntity


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO, Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"


class Unit(StrEnum):
    MONEY = "money"
    DAYS = "days"
    PERCENT = "percent"
    COUNT = "count"
    MINUTES = "minutes"
    HOURS = "hours"


class InvalidPeriod(UnprocessableEntity):
    type = "invalid-period"
    title = "Invalid period"


@dataclass(frozen=True)
class Period:
    """Calendar days ``start``..``end`` (both included); ``as_of`` is the day the point-in-time KPIs (AR,
    aging, count-back DSO, open balances, backlog) are evaluated at: the period's end unless given."""

    start: date
    end: date
    kind: PeriodKind = PeriodKind.CUSTOM
    as_of: date | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def at(self) -> date:
        """The evaluation day of point-in-time KPIs."""
        return self.as_of or self.end

    @classmethod
    def day(cls, d: date, *, as_of: date | None = None) -> Period:
        return cls(d, d, PeriodKind.DAY, as_of)

    @classmethod
    def week(cls, d: date, *, as_of: date | None = None) -> Period:
        """The ISO week (Monday to Sunday) containing ``d``."""
        start = d - timedelta(days=d.weekday())
        return cls(start, start + timedelta(days=6), PeriodKind.WEEK, as_of)

    @classmethod
    def month(cls, d: date, *, as_of: date | None = None) -> Period:
        return cls(d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1]), PeriodKind.MONTH,
                   as_of)

    @classmethod
    def quarter(cls, d: date, *, as_of: date | None = None) -> Period:
        first = 3 * ((d.month - 1) // 3) + 1
        end = date(d.year, first + 2, calendar.monthrange(d.year, first + 2)[1])
        return cls(date(d.year, first, 1), end, PeriodKind.QUARTER, as_of)

    @classmethod
    def of(cls, kind: PeriodKind, *, on: date | None = None, start: date | None = None, end: date | None = None,
           as_of: date | None = None, today: date | None = None) -> Period:
        """The period of ``kind`` containing ``on`` (``today`` without it); ``custom`` takes ``start`` and ``end``."""
        if kind == PeriodKind.CUSTOM:
            if start is None or end is None:
                raise InvalidPeriod("a custom period needs both start and end")
            return cls(start, end, PeriodKind.CUSTOM, as_of)
        on = on or today
        if on is None:
            raise InvalidPeriod(f"a {kind} period needs a date inside it (date=YYYY-MM-DD)")
        of_kind = {PeriodKind.DAY: cls.day, PeriodKind.WEEK: cls.week, PeriodKind.MONTH: cls.month,
                   PeriodKind.QUARTER: cls.quarter}
        return of_kind[PeriodKind(kind)](on, as_of=as_of)


@dataclass(frozen=True)
class Scope:
    """Which facts count: ``None`` means every value of that dimension. ``team`` is the owning team of the
    account, internal or vendor (BPO)."""

    legal_entity: str | None = None
    currency: str | None = None
    customer_id: str | None = None
    team: str | None = None


class KpiValue(BaseModel):
    """One computed figure. Money is in ``currency`` to the cent, days and percents to 0.01; ``value`` is None
    when the formula is undefined for the period (e.g. no credit sales for a DSO)."""

    name: str
    value: Decimal | None
    unit: Unit
    currency: str | None = Field(default=None, description="For money and money-based KPIs: their currency.")
    dimension: str | None = Field(default=None, description="Breakdown: aging bucket, rejection reason, agent…")
    note: str | None = Field(default=None, description="Why ``value`` is null, when the formula has nothing to count.")
    period_start: date
    period_end: date
    as_of: date


class KpiDefinition(BaseModel):
    name: str
    title: str
    unit: Unit
    formula: str
    example: str
    point_in_time: bool = Field(description="Evaluated at as_of (else over the period).")
    breakdown: str | None = Field(default=None, description="What `dimension` means in its values, if used.")


class KpiQueryRead(BaseModel):
    period_kind: PeriodKind
    period_start: date
    period_end: date
    as_of: date
    scope: dict[str, str | None]
    values: list[KpiValue]
