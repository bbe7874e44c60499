"""Business-hours arithmetic in a team's calendar: pure functions, no I/O.

A calendar is a time zone, one working shift per working day (``work_start``-``work_end`` in local
wall-clock time; an end at or before the start means the shift ends the next day, e.g. 22:00-06:00),
the ISO weekdays that are working days and the holidays (local dates on which no shift *starts*).
Instants are timezone-aware; results are in UTC. DST is handled by building each shift's bounds in
local time and converting them to UTC (a shift on a transition day is an hour shorter or longer).

A clock counts business time from ``running_since`` on top of ``consumed`` (the business time already
spent before its last pause); paused, it has no ``running_since`` and no due instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
MAX_SCAN_DAYS = 3 * 366
"""A target further than this in calendar days (or a calendar without working days) is refused."""


class NoWorkingTime(ValueError):
    """The calendar has no working time within MAX_SCAN_DAYS of the instant."""


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)


def shift_of(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
    """The UTC bounds of the shift starting on local ``day``, or None (weekend, holiday)."""
    if day.isoweekday() not in calendar.workdays or day in calendar.holidays:
        return None
    zone = calendar.zone
    start = datetime.combine(day, calendar.work_start, tzinfo=zone).astimezone(UTC)
    end_day = day if calendar.work_end > calendar.work_start else day + timedelta(days=1)
    end = datetime.combine(end_day, calendar.work_end, tzinfo=zone).astimezone(UTC)
    return (start, end) if end > start else None


def shifts_from(calendar: BusinessCalendar, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Shifts in time order, beginning with the one that may still be running at ``instant``."""
    first = _utc(instant).astimezone(calendar.zone).date() - timedelta(days=1)
    for offset in range(MAX_SCAN_DAYS):
        shift = shift_of(calendar, first + timedelta(days=offset))
        if shift is not None:
            yield shift


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of business time has elapsed after ``start``."""
    start = _utc(start)
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    if duration == ZERO:
        return start
    remaining = duration
    for shift_start, shift_end in shifts_from(calendar, start):
        if shift_end <= start:
            continue
        begin = max(shift_start, start)
        available = shift_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise NoWorkingTime(f"no {duration} of working time within {MAX_SCAN_DAYS} days of {start.isoformat()}")


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end); zero when end is not after start."""
    start, end = _utc(start), _utc(end)
    total = ZERO
    if end <= start:
        return total
    for shift_start, shift_end in shifts_from(calendar, start):
        if shift_start >= end:
            return total
        overlap = min(shift_end, end) - max(shift_start, start)
        if overlap > ZERO:
            total += overlap
    return total


def is_business_time(calendar: BusinessCalendar, instant: datetime) -> bool:
    instant = _utc(instant)
    for shift_start, shift_end in shifts_from(calendar, instant):
        if shift_start > instant:
            return False
        if shift_start <= instant < shift_end:
            return True
    return False


# --- clocks (pausable) ---------------------------------------------------------------------------


def elapsed(calendar: BusinessCalendar, *, consumed: timedelta, running_since: datetime | None,
            now: datetime) -> timedelta:
    """Business time a clock has counted at ``now``."""
    if running_since is None:
        return consumed
    return consumed + business_time_between(calendar, running_since, now)


def due_at(calendar: BusinessCalendar, *, target: timedelta, consumed: timedelta,
           running_since: datetime | None) -> datetime | None:
    """When a running clock reaches ``target``; None while paused. A clock past its target is due at
    ``running_since`` (immediately)."""
    if running_since is None:
        return None
    return add_business_time(calendar, running_since, max(target - consumed, ZERO))
