"""When a digest is due, and for which review: pure date arithmetic on a subscription's schedule.

A digest carries the review of the last complete period: the daily huddle of yesterday, the weekly cadence of last
week, the MBR of last month, the QBR of last quarter. It is due from its send moment (``send_at`` local time on the
send day: every day; the subscription's weekday; the Nth working day of the month or quarter) until the next one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from o2c_kpi.reports.schemas import ReportKind


@dataclass(frozen=True)
class Schedule:
    kind: ReportKind
    timezone: str
    send_at: time
    weekday: int | None = None
    working_day: int | None = None


@dataclass(frozen=True)
class Due:
    review_date: date
    """The review's ``date`` (the last day of the period it covers)."""
    moment: datetime
    """When it went (or goes) out."""


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _period_start(kind: ReportKind, day: date) -> date:
    """The first day of the period of ``kind`` holding ``day``."""
    if kind == ReportKind.DAILY_HUDDLE:
        return day
    if kind == ReportKind.WEEKLY_CADENCE:
        return day - timedelta(days=day.isoweekday() - 1)
    if kind == ReportKind.MONTHLY_BUSINESS_REVIEW:
        return day.replace(day=1)
    return _quarter_start(day)


def nth_working_day(start: date, n: int, holidays: Collection[date]) -> date:
    """The ``n``-th day from ``start`` on that is Monday to Friday and not a holiday."""
    day, seen = start, 0
    while True:
        if day.isoweekday() <= 5 and day not in holidays:
            seen += 1
            if seen == n:
                return day
        day += timedelta(days=1)


def send_day(schedule: Schedule, on_or_before: date, holidays: Collection[date]) -> date:
    """The latest send day not after ``on_or_before``."""
    kind = schedule.kind
    if kind == ReportKind.DAILY_HUDDLE:
        return on_or_before
    if kind == ReportKind.WEEKLY_CADENCE:
        return on_or_before - timedelta(days=(on_or_before.isoweekday() - (schedule.weekday or 1)) % 7)
    start = _period_start(kind, on_or_before)
    day = nth_working_day(start, schedule.working_day or 1, holidays)
    if day <= on_or_before:
        return day
    return send_day(schedule, start - timedelta(days=1), holidays)


def review_date(kind: ReportKind, sent_on: date) -> date:
    """The review a digest sent on ``sent_on`` carries: the last day of the period before the one holding it."""
    return _period_start(kind, sent_on) - timedelta(days=1)


def latest_due(schedule: Schedule, now: datetime, holidays: Collection[date] = ()) -> Due:
    """The most recent send moment at or before ``now``, and its review."""
    zone = ZoneInfo(schedule.timezone)
    today = now.astimezone(zone).date()
    day = send_day(schedule, today, holidays)
    moment = datetime.combine(day, schedule.send_at, tzinfo=zone)
    if moment > now:
        day = send_day(schedule, day - timedelta(days=1), holidays)
        moment = datetime.combine(day, schedule.send_at, tzinfo=zone)
    return Due(review_date=review_date(schedule.kind, day), moment=moment)


def describe(schedule: Schedule) -> str:
    """``every Monday at 07:00 Europe/Berlin`` …"""
    at = f"at {schedule.send_at:%H:%M} {schedule.timezone}"
    if schedule.kind == ReportKind.DAILY_HUDDLE:
        return f"every day {at}"
    if schedule.kind == ReportKind.WEEKLY_CADENCE:
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        return f"every {names[(schedule.weekday or 1) - 1]} {at}"
    n = schedule.working_day or 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    of = "month" if schedule.kind == ReportKind.MONTHLY_BUSINESS_REVIEW else "quarter"
    return f"on the {n}{suffix} working day of each {of} {at}"
