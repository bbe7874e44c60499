"""The KPI formulas, pure and exact (Decimal); rounding happens once, on the result (docs/kpi.md)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# Aging buckets: (label, lowest days past due, highest days past due or None); "current" is due date >= D.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", -10**6, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-120", 91, 120),
    ("over_120", 121, None),
)
WINDOW_DAYS = 120  # past this many days past due everything is in the last bucket


def round2(value: Decimal | None) -> Decimal | None:
    """Days, percents and money (2-decimal currencies) to 0.01, half up."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal, denominator: Decimal, *, scale: Decimal = Decimal(1)) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator * scale


def bucket_of(days_past_due: int) -> str:
    for label, low, high in BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return label
    raise AssertionError(days_past_due)


@dataclass
class ArPosition:
    """AR of one currency at the end of a day D: total, by aging bucket, and sum of amount x days past due."""

    total: Decimal = ZERO
    buckets: dict[str, Decimal] = field(default_factory=lambda: {label: ZERO for label, _, _ in BUCKETS})
    past_due_weight: Decimal = ZERO  # sum over past-due AR of amount x (D - due date)

    @property
    def current(self) -> Decimal:
        return self.buckets["current"]

    @property
    def past_due(self) -> Decimal:
        return self.total - self.current

    @property
    def average_days_past_due(self) -> Decimal | None:
        return ratio(self.past_due_weight, self.past_due)


def dso(*, ar_end: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """Standard DSO = AR at period end / credit sales of the period x days in the period."""
    return None if credit_sales <= 0 else ar_end / credit_sales * days


def best_possible_dso(*, current_ar_end: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """Best possible DSO = current (not yet due) AR at period end / credit sales x days in the period."""
    return None if credit_sales <= 0 else current_ar_end / credit_sales * days


def average_days_delinquent(*, dso_value: Decimal | None, best_possible: Decimal | None) -> Decimal | None:
    return None if dso_value is None or best_possible is None else dso_value - best_possible


def cei(*, ar_start: Decimal, credit_sales: Decimal, ar_end: Decimal, current_ar_end: Decimal) -> Decimal | None:
    """CEI = (AR start + credit sales - AR end) / (AR start + credit sales - current AR end) x 100."""
    return ratio(ar_start + credit_sales - ar_end, ar_start + credit_sales - current_ar_end, scale=HUNDRED)


def count_back_months(at: date, monthly_sales: Mapping[date, Decimal], *, first: date | None = None
                      ) -> list[tuple[Decimal, int]]:
    """(credit sales, days) of each calendar month from ``at``'s month backwards: ``at``'s own month counts its
    days up to ``at`` only (sales up to ``at`` are what ``monthly_sales`` holds for it), back to ``first``
    (the earliest month with sales)."""
    out: list[tuple[Decimal, int]] = []
    month = at.replace(day=1)
    first = first or min(monthly_sales, default=month)
    days = at.day
    while month >= first:
        out.append((monthly_sales.get(month, ZERO), days))
        month = (month - timedelta(days=1)).replace(day=1)
        days = calendar.monthrange(month.year, month.month)[1]
    return out


def count_back_dso(*, ar: Decimal, months: Iterable[tuple[Decimal, int]]) -> Decimal:
    """Walk months back from the newest: while the AR left is not smaller than the month's sales, take the
    month whole (subtract its sales, add its days); in the month where it is smaller, add AR left / sales x
    days and stop. If history runs out first, the days walked are the answer (AR older than every sale)."""
    if ar <= 0:
        return ZERO
    left, days_total = ar, ZERO
    for sales, days in months:
        if left < sales:
            return days_total + left / sales * days
        left -= sales
        days_total += days
    return days_total
