"""Time for SLAs: business days (weekends and configured holidays skipped), calendar
windows (day, ISO week, month, quarter; UTC) and the period notation of the attainment API."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from o2c_common.errors import ValidationFailed
from o2c_kpi.sla.models import SlaUnit, SlaWindowName


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: datetime, days: int, holidays: Collection[date] = ()) -> datetime:
    """``days`` business days after ``start`` (UTC), at the same time of day.

    A start on a weekend or holiday counts from 00:00 of the next business day: a rejection on Saturday
    with a one-business-day target is due Tuesday 00:00; one on Friday 15:00 is due Monday 15:00.
    """
    moment = start.astimezone(UTC)
    if not is_business_day(moment.date(), holidays):
        day = moment.date()
        while not is_business_day(day, holidays):
            day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=UTC)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_business_day(moment.date(), holidays):
            remaining -= 1
    return moment


def deadline(start: datetime, *, target: Decimal, unit: str, holidays: Collection[date] = ()) -> datetime:
    """When a timer armed at ``start`` is due: ``target`` business days, or calendar hours."""
    if unit == SlaUnit.BUSINESS_DAYS:
        return add_business_days(start, int(target), holidays)
    return start.astimezone(UTC) + timedelta(hours=float(target))


def window_bounds(moment: datetime, window: str) -> tuple[datetime, datetime]:
    """The calendar window (UTC) holding ``moment``: [start, end)."""
    day = moment.astimezone(UTC).date()
    if window == SlaWindowName.DAY:
        start, end = day, day + timedelta(days=1)
    elif window == SlaWindowName.WEEK:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    elif window == SlaWindowName.MONTH:
        start = day.replace(day=1)
        end = _add_months(start, 1)
    elif window == SlaWindowName.QUARTER:
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        end = _add_months(start, 3)
    else:
        raise ValueError(f"unknown window {window!r}")
    return _midnight(start), _midnight(end)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_PERIOD = re.compile(
    r"^(?P<year>\d{4})(?:-(?:W(?P<week>\d{2})|Q(?P<quarter>[1-4])|(?P<month>\d{2})(?:-(?P<day>\d{2}))?))?$")


def parse_period(text: str) -> tuple[date, date]:
    """``2026`` · ``2026-Q4`` · ``2026-11`` · ``2026-W47`` · ``2026-11-22`` · ``2026-11-01..2026-11-15``
    → [first day, day after the last). Anything else is a 422 problem naming the ``period`` parameter."""
    try:
        if ".." in text:
            first, last = (date.fromisoformat(part) for part in text.split("..", 1))
            if last < first:
                raise ValueError("the range ends before it starts")
            return first, last + timedelta(days=1)
        match = _PERIOD.match(text)
        if match is None:
            raise ValueError("not a period")
        year = int(match["year"])
        if match["week"]:
            start = date.fromisocalendar(year, int(match["week"]), 1)
            return start, start + timedelta(days=7)
        if match["quarter"]:
            start = date(year, (int(match["quarter"]) - 1) * 3 + 1, 1)
            return start, _add_months(start, 3)
        if match["day"]:
            start = date(year, int(match["month"]), int(match["day"]))
            return start, start + timedelta(days=1)
        if match["month"]:
            start = date(year, int(match["month"]), 1)
            return start, _add_months(start, 1)
        return date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError as exc:
        detail = f"period {text!r} is not one of YYYY, YYYY-Qn, YYYY-MM, YYYY-Www, YYYY-MM-DD, D1..D2 ({exc})"
        raise ValidationFailed(detail, errors=[{"location": "query", "parameter": "period", "detail": detail,
                                                "code": "invalid_period"}]) from None


def business_days_between(start: datetime, end: datetime, holidays: Collection[date] = ()) -> Decimal:
    """Business days elapsed from ``start`` to ``end`` (weekends and holidays not counted), 2 decimals."""
    seconds = 0.0
    moment = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while moment < end:
        next_midnight = _midnight(moment.date() + timedelta(days=1))
        stop = min(next_midnight, end)
        if is_business_day(moment.date(), holidays):
            seconds += (stop - moment).total_seconds()
        moment = stop
    return (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.01"))
