"""Business-hours arithmetic: worked examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from o2c_escalation.calendars.business_hours import (
    BusinessCalendar,
    NoWorkingTime,
    add_business_time,
    business_time_between,
    due_at,
    elapsed,
    is_business_time,
)

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
KOLKATA_MID_SHIFT = BusinessCalendar(time_zone="Asia/Kolkata", work_start=time(13, 0), work_end=time(23, 0))
NEW_YORK = BusinessCalendar(time_zone="America/New_York", holidays=frozenset({date(2026, 11, 26)}))
NIGHT_SHIFT = BusinessCalendar(time_zone="Europe/Warsaw", work_start=time(22, 0), work_end=time(6, 0))


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def test_mid_shift_in_kolkata_rolls_into_the_next_working_day() -> None:
    # Friday 2026-11-20 21:00 IST, 4 business hours: 2 h today (to 23:00), 2 h Monday from 13:00 -> 15:00 IST.
    start = local("Asia/Kolkata", 2026, 11, 20, 21, 0)
    due = add_business_time(KOLKATA_MID_SHIFT, start, 4 * H)
    assert due == local("Asia/Kolkata", 2026, 11, 23, 15, 0)
    assert due.tzinfo == UTC and due == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_before_the_shift_starts_counting_at_its_start() -> None:
    start = local("Asia/Kolkata", 2026, 11, 18, 8, 0)  # Wednesday morning, shift begins 13:00
    assert add_business_time(KOLKATA_MID_SHIFT, start, 30 * MIN) == local("Asia/Kolkata", 2026, 11, 18, 13, 30)


def test_holiday_and_weekend_are_skipped() -> None:
    # Wednesday 2026-11-25 16:00 New York, 3 h: 1 h Wednesday, Thursday is Thanksgiving, 2 h Friday -> 11:00.
    start = local("America/New_York", 2026, 11, 25, 16, 0)
    assert add_business_time(NEW_YORK, start, 3 * H) == local("America/New_York", 2026, 11, 27, 11, 0)
    # Friday 16:00, 2 h: 1 h Friday, 1 h Monday -> Monday 10:00.
    start = local("America/New_York", 2026, 11, 27, 16, 0)
    assert add_business_time(NEW_YORK, start, 2 * H) == local("America/New_York", 2026, 11, 30, 10, 0)


def test_dst_change_keeps_local_working_hours() -> None:
    # US clocks go back on Sunday 2026-11-01: Friday 16:00 EDT + 2 h = Monday 10:00 EST (UTC offset changed).
    start = local("America/New_York", 2026, 10, 30, 16, 0)
    due = add_business_time(NEW_YORK, start, 2 * H)
    assert due == local("America/New_York", 2026, 11, 2, 10, 0)
    assert due - start.astimezone(UTC) == timedelta(days=2, hours=19)  # 2 d 18 h local + the fall-back hour


def test_overnight_shift_belongs_to_the_day_it_starts() -> None:
    # Friday 23:00 Warsaw, inside the Friday night shift (22:00-06:00): 8 h =
    # 7 h to Saturday 06:00 + 1 h Monday 22:00-23:00.
    start = local("Europe/Warsaw", 2026, 11, 20, 23, 0)
    assert add_business_time(NIGHT_SHIFT, start, 8 * H) == local("Europe/Warsaw", 2026, 11, 23, 23, 0)
    assert is_business_time(NIGHT_SHIFT, local("Europe/Warsaw", 2026, 11, 21, 5, 59))
    assert not is_business_time(NIGHT_SHIFT, local("Europe/Warsaw", 2026, 11, 21, 22, 30))  # Saturday


def test_business_time_between_excludes_nights_weekends_and_holidays() -> None:
    start = local("America/New_York", 2026, 11, 24, 9, 0)  # Tuesday
    end = local("America/New_York", 2026, 12, 1, 9, 0)  # next Tuesday
    # Tue, Wed, Fri (Thanksgiving Thursday off), Mon = 4 x 8 h
    assert business_time_between(NEW_YORK, start, end) == 32 * H
    assert business_time_between(NEW_YORK, end, start) == timedelta(0)


def test_pause_moves_the_due_instant_by_the_business_time_paused() -> None:
    cal = BusinessCalendar()  # 09:00-17:00 UTC Mon-Fri
    opened = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday
    target = 8 * H
    assert due_at(cal, target=target, consumed=timedelta(0), running_since=opened) == datetime(2026, 11, 23, 17,
                                                                                                0, tzinfo=UTC)
    paused_at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 3 h counted
    consumed = elapsed(cal, consumed=timedelta(0), running_since=opened, now=paused_at)
    assert consumed == 3 * H
    assert due_at(cal, target=target, consumed=consumed, running_since=None) is None  # paused: never due
    resumed = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 10:00: 5 h left -> 15:00
    assert due_at(cal, target=target, consumed=consumed, running_since=resumed) == datetime(2026, 11, 24, 15, 0,
                                                                                             tzinfo=UTC)


def test_calendar_without_working_time_is_refused() -> None:
    all_holidays = BusinessCalendar(workdays=frozenset({1}), holidays=frozenset(
        date(2026, 1, 5) + timedelta(weeks=w) for w in range(200)))
    with pytest.raises(NoWorkingTime):
        add_business_time(all_holidays, datetime(2026, 1, 1, tzinfo=UTC), H)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(BusinessCalendar(), datetime(2026, 1, 1), H)


# --- properties ------------------------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Europe/Warsaw", "Australia/Sydney", "America/Sao_Paulo",
         "Asia/Kathmandu", "Pacific/Chatham"]

calendars = st.builds(
    BusinessCalendar,
    time_zone=st.sampled_from(ZONES),
    work_start=st.times(min_value=time(0, 0), max_value=time(23, 0)).map(lambda t: t.replace(second=0,
                                                                                             microsecond=0)),
    work_end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    workdays=st.frozensets(st.integers(1, 7), min_size=1),
    holidays=st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=30),
).filter(lambda c: _shift_minutes(c) >= 120)  # long targets on 1-minute weeks would exceed MAX_SCAN_DAYS
instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30), timezones=st.just(UTC))
durations = st.integers(0, 60 * 60).map(lambda m: timedelta(minutes=m))


def _shift_minutes(cal: BusinessCalendar) -> int:
    start = cal.work_start.hour * 60 + cal.work_start.minute
    end = cal.work_end.hour * 60 + cal.work_end.minute
    return (end - start) % (24 * 60)


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=instants, duration=durations)
def test_adding_then_measuring_gives_the_duration_back(cal: BusinessCalendar, start: datetime,
                                                       duration: timedelta) -> None:
    due = add_business_time(cal, start, duration)
    assert due >= start
    assert business_time_between(cal, start, due) == duration


@settings(max_examples=100, deadline=None)
@given(cal=calendars, start=instants, a=durations, b=durations)
def test_adding_is_additive_and_monotonic(cal: BusinessCalendar, start: datetime, a: timedelta,
                                          b: timedelta) -> None:
    assert add_business_time(cal, add_business_time(cal, start, a), b) == add_business_time(cal, start, a + b)
    if a <= b:
        assert add_business_time(cal, start, a) <= add_business_time(cal, start, b)


@settings(max_examples=100, deadline=None)
@given(cal=calendars, start=instants, gap=st.integers(0, 20 * 24 * 60), split=st.floats(0, 1))
def test_business_time_is_additive_over_a_split_and_bounded_by_wall_time(
        cal: BusinessCalendar, start: datetime, gap: int, split: float) -> None:
    end = start + timedelta(minutes=gap)
    middle = start + timedelta(minutes=int(gap * split))
    total = business_time_between(cal, start, end)
    assert total == business_time_between(cal, start, middle) + business_time_between(cal, middle, end)
    assert timedelta(0) <= total <= end - start


@settings(max_examples=100, deadline=None)
@given(cal=calendars, start=instants, target=durations.filter(lambda d: d > timedelta(0)),
       pauses=st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.integers(0, 3 * 24 * 60)), max_size=4))
def test_pauses_never_count_and_the_clock_is_due_after_exactly_its_target(
        cal: BusinessCalendar, start: datetime, target: timedelta, pauses: list[tuple[int, int]]) -> None:
    """Run, pause, resume … as the service does; at the due instant the clock has counted exactly its target,
    and it is never due earlier than an unpaused clock would be."""
    consumed, running_since, now = timedelta(0), start, start
    for run_minutes, pause_minutes in pauses:
        now = now + timedelta(minutes=run_minutes)
        consumed = elapsed(cal, consumed=consumed, running_since=running_since, now=now)
        if consumed >= target:
            break
        now = now + timedelta(minutes=pause_minutes)  # paused: nothing counts
        running_since = now
    due = due_at(cal, target=target, consumed=consumed, running_since=running_since)
    assert due is not None
    if consumed < target:
        assert elapsed(cal, consumed=consumed, running_since=running_since, now=due) == target
        assert due >= add_business_time(cal, start, target)  # pausing never makes a clock due earlier
    else:
        assert due == running_since  # already past its target: due at once
