"""The capacity model's arithmetic against values worked by hand (docs/workforce.md)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from o2c_workforce.capacity import erlang, forecast


def test_erlang_c_matches_the_hand_worked_desk() -> None:
    # A = 2 Erlangs, N = 3: A^3/3! * 3/(3-2) = 4; sum_{k<3} = 1 + 2 + 2 = 5; C = 4/9
    assert erlang.wait_probability(3, 2.0) == pytest.approx(4 / 9)
    assert erlang.service_level(3, 2.0, handling_minutes=10, answer_minutes=5) == pytest.approx(0.7304, abs=1e-4)
    assert erlang.service_level(4, 2.0, handling_minutes=10, answer_minutes=5) == pytest.approx(0.9361, abs=1e-4)
    assert erlang.agents_for(2.0, handling_minutes=10, answer_minutes=5, target=0.8, max_occupancy=0.85) == 4
    assert erlang.agents_for(3.0, handling_minutes=10, answer_minutes=5, target=0.8, max_occupancy=0.85) == 5
    assert erlang.agents_for(0.0, handling_minutes=10, answer_minutes=5, target=0.8, max_occupancy=0.85) == 0
    # the occupancy cap binds: A = 8.5 needs at least 10 agents at 85 %
    assert erlang.agents_for(8.5, handling_minutes=1, answer_minutes=60, target=0.5, max_occupancy=0.85) == 10


def test_month_end_is_the_last_three_business_days() -> None:
    assert forecast.month_end_days(2026, 11) == {date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)}
    assert forecast.is_month_end(date(2026, 12, 29)) and not forecast.is_month_end(date(2026, 12, 28))


def test_seasonality_separates_weekdays_from_month_end() -> None:
    start, end = date(2026, 11, 23), date(2026, 12, 21)
    history = {}
    for i in range((end - start).days):
        day = start + timedelta(days=i)
        if day.isoweekday() <= 5:
            history[day] = 144 if forecast.is_month_end(day) else 96
    season = forecast.fit(history, start=start, end=end)
    assert season.weekday_means == {1: Decimal("96.00"), 2: Decimal("96.00"), 3: Decimal("96.00"),
                                    4: Decimal("96.00"), 5: Decimal("96.00"), 6: Decimal("0.00"),
                                    7: Decimal("0.00")}
    assert season.month_end_factor == Decimal("1.500")
    assert season.arrivals(date(2026, 12, 29)) == Decimal("144.00")
    assert season.arrivals(date(2026, 12, 21), volume_factor=Decimal("1.2")) == Decimal("115.20")


def test_sampling_periods_start_and_end() -> None:
    from o2c_workforce.quality.models import Period
    from o2c_workforce.quality.sampling import period_end, period_start

    assert period_start(date(2026, 12, 3), Period.WEEK) == date(2026, 11, 30)
    assert period_end(date(2026, 11, 30), Period.WEEK) == date(2026, 12, 7)
    assert period_end(date(2026, 12, 1), Period.MONTH) == date(2027, 1, 1)
    assert period_end(date(2026, 2, 1), Period.MONTH) == date(2026, 3, 1)
    assert period_end(date(2026, 2, 27), Period.DAY) == date(2026, 2, 28)
