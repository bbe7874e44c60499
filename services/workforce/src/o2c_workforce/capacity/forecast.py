"""Arrivals per queue and day from history: the mean of each weekday over the history window, times a month-end
factor on the last three business days of a month.

The weekday means use the days that are not month-end days; the month-end factor is the mean arrivals of the
month-end business days over the mean of the other business days of the window (1 when either is missing)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

MONTH_END_BUSINESS_DAYS = 3
TWO = Decimal("0.01")


def month_end_days(year: int, month: int) -> set[date]:
    last = date(year, month, calendar.monthrange(year, month)[1])
    days: set[date] = set()
    while len(days) < MONTH_END_BUSINESS_DAYS:
        if last.isoweekday() <= 5:
            days.add(last)
        last -= timedelta(days=1)
    return days


def is_month_end(day: date) -> bool:
    return day in month_end_days(day.year, day.month)


@dataclass(frozen=True)
class Seasonality:
    weekday_means: dict[int, Decimal]
    """ISO weekday → mean arrivals on the days that are not month-end days."""
    month_end_factor: Decimal
    history_days: int

    def arrivals(self, day: date, *, volume_factor: Decimal = Decimal(1)) -> Decimal:
        base = self.weekday_means.get(day.isoweekday(), Decimal(0))
        factor = self.month_end_factor if is_month_end(day) else Decimal(1)
        return (base * factor * volume_factor).quantize(TWO)


def fit(history: dict[date, int], *, start: date, end: date) -> Seasonality:
    """Seasonality of the days in [start, end); days missing from ``history`` had no arrivals."""
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    by_weekday: dict[int, list[int]] = {}
    month_end, other_business = [], []
    for day in days:
        count = history.get(day, 0)
        if is_month_end(day):
            month_end.append(count)
            continue
        by_weekday.setdefault(day.isoweekday(), []).append(count)
        if day.isoweekday() <= 5:
            other_business.append(count)
    means = {wd: (Decimal(sum(v)) / len(v)).quantize(TWO) for wd, v in by_weekday.items()}
    factor = Decimal(1)
    if month_end and other_business and sum(other_business):
        factor = ((Decimal(sum(month_end)) / len(month_end))
                  / (Decimal(sum(other_business)) / len(other_business))).quantize(Decimal("0.001"))
    return Seasonality(weekday_means=means, month_end_factor=factor, history_days=len(days))
