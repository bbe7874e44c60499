"""When a digest is due and which review it carries (pure date arithmetic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from o2c_kpi.digests.schedule import Schedule, describe, latest_due, nth_working_day
from o2c_kpi.reports.schemas import ReportKind


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def test_the_daily_huddle_carries_yesterday_from_its_local_time_on() -> None:
    berlin = Schedule(ReportKind.DAILY_HUDDLE, "Europe/Berlin", time(7, 30))
    before = latest_due(berlin, at(2026, 10, 14, 5, 0))  # 07:00 in Berlin: not yet today's
    assert before.review_date == date(2026, 10, 12) and before.moment.date() == date(2026, 10, 13)
    after = latest_due(berlin, at(2026, 10, 14, 5, 31))  # 07:31 in Berlin
    assert after.review_date == date(2026, 10, 13) and after.moment == datetime(2026, 10, 14, 5, 30, tzinfo=UTC)


def test_the_weekly_cadence_goes_on_its_weekday_with_last_week() -> None:
    monday = Schedule(ReportKind.WEEKLY_CADENCE, "UTC", time(8, 0), weekday=1)
    due = latest_due(monday, at(2026, 10, 14))  # a Wednesday: Monday 12th was the send day
    assert due.moment == at(2026, 10, 12, 8) and due.review_date == date(2026, 10, 11)  # week 41 ended Sunday 11th
    assert latest_due(monday, at(2026, 10, 12, 7, 59)).review_date == date(2026, 10, 4)
    assert describe(monday) == "every Monday at 08:00 UTC"


def test_the_mbr_and_qbr_go_on_the_nth_working_day_with_the_last_month_and_quarter() -> None:
    holidays = (date(2026, 10, 1),)
    assert nth_working_day(date(2026, 10, 1), 2, holidays) == date(2026, 10, 5)  # Thu holiday, Fri 2nd, Mon 5th
    mbr = Schedule(ReportKind.MONTHLY_BUSINESS_REVIEW, "UTC", time(9, 0), working_day=2)
    assert latest_due(mbr, at(2026, 10, 5, 10), holidays).review_date == date(2026, 9, 30)
    assert latest_due(mbr, at(2026, 10, 2, 10), holidays).review_date == date(2026, 8, 31)  # not yet October's
    qbr = Schedule(ReportKind.QBR, "UTC", time(9, 0), working_day=3)
    due = latest_due(qbr, at(2026, 11, 20))
    assert due.moment == at(2026, 10, 5, 9) and due.review_date == date(2026, 9, 30)
    assert describe(qbr) == "on the 3rd working day of each quarter at 09:00 UTC"
