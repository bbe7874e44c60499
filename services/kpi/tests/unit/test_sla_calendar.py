"""Business days, calendar windows and periods of the SLA evaluation (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from o2c_common.errors import ValidationFailed
from o2c_kpi.sla.calendar import add_business_days, business_days_between, parse_period, window_bounds


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # 2026-11-20 is a Friday


@pytest.mark.parametrize(("start", "days", "due"), [
    (at(19, 9), 1, at(20, 9)),  # Thursday → Friday
    (at(20, 15), 1, at(23, 15)),  # Friday → Monday, the weekend skipped
    (at(21, 10), 1, at(24, 0)),  # Saturday counts from Monday 00:00
    (at(20, 15), 0, at(20, 15)),
    (at(16, 8), 10, at(30, 8)),  # two weeks of business days
])
def test_business_days_skip_weekends(start: datetime, days: int, due: datetime) -> None:
    assert add_business_days(start, days) == due


def test_holidays_are_skipped_too() -> None:
    assert add_business_days(at(20, 15), 1, holidays={date(2026, 11, 23)}) == at(24, 15)
    assert business_days_between(at(20, 15), at(24, 15), holidays={date(2026, 11, 23)}) == Decimal("1.00")


def test_business_days_between_ignores_weekends() -> None:
    assert business_days_between(at(20, 15), at(23, 15)) == Decimal("1.00")
    assert business_days_between(at(20, 15), at(23, 14, 50)) == Decimal("0.99")
    assert business_days_between(at(21), at(22, 12)) == Decimal("0.00")


@pytest.mark.parametrize(("window", "start", "end"), [
    ("day", at(20), at(21)),
    ("week", at(16), at(23)),
    ("month", datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
    ("quarter", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_windows_are_calendar_windows_in_utc(window: str, start: datetime, end: datetime) -> None:
    assert window_bounds(at(20, 23, 59), window) == (start, end)


@pytest.mark.parametrize(("text", "first", "after"), [
    ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
    ("2026-W47", date(2026, 11, 16), date(2026, 11, 23)),
    ("2026-11-22", date(2026, 11, 22), date(2026, 11, 23)),
    ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 16)),
])
def test_periods(text: str, first: date, after: date) -> None:
    assert parse_period(text) == (first, after)


@pytest.mark.parametrize("text", ["November", "2026-13", "2026-W60", "2026-11-31", "2026-11-15..2026-11-01", ""])
def test_bad_periods_are_422(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_period(text)
