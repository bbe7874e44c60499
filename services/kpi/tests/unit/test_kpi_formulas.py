"""Every KPI formula on small hand-computed cases (no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c_kpi.kpis import formulas as f
from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.kpis.schemas import InvalidPeriod, Period

D = Decimal


def test_standard_best_possible_dso_and_add() -> None:
    dso = f.dso(ar_end=D(212_000), credit_sales=D(100_000), days=31)
    best = f.best_possible_dso(current_ar_end=D(90_000), credit_sales=D(100_000), days=31)
    assert (f.round2(dso), f.round2(best)) == (D("65.72"), D("27.90"))
    assert f.round2(f.average_days_delinquent(dso_value=dso, best_possible=best)) == D("37.82")
    assert f.dso(ar_end=D(5), credit_sales=D(0), days=30) is None
    assert f.average_days_delinquent(dso_value=None, best_possible=D(1)) is None


def test_cei() -> None:
    value = f.cei(ar_start=D(200_000), credit_sales=D(100_000), ar_end=D(212_000), current_ar_end=D(90_000))
    assert f.round2(value) == D("41.90")  # 88,000 / 210,000
    assert f.cei(ar_start=D(0), credit_sales=D(0), ar_end=D(0), current_ar_end=D(0)) is None
    everything_collected = f.cei(ar_start=D(100), credit_sales=D(50), ar_end=D(0), current_ar_end=D(0))
    assert everything_collected == D(100)


def test_count_back_dso_of_the_brief() -> None:
    months = [(D(100_000), 30), (D(80_000), 30), (D(70_000), 30)]
    assert f.round2(f.count_back_dso(ar=D(212_000), months=months)) == D("73.71")  # 30 + 30 + 32/70 x 30


@pytest.mark.parametrize(("ar", "months", "expected"), [
    (D(50), [(D(100), 31)], D("15.50")),  # within the first month
    (D(100), [(D(100), 31), (D(80), 28)], D("31.00")),  # exactly the first month: 31 + 0 / 80 x 28
    (D(120), [(D(100), 31), (D(0), 28), (D(40), 31)], D("74.50")),  # empty month counted whole: 31 + 28 + 20/40 x 31
    (D(0), [(D(100), 31)], D("0.00")),
    (D(-5), [(D(100), 31)], D("0.00")),  # credit balance
    (D(500), [(D(100), 31), (D(100), 30)], D("61.00")),  # history exhausted: the days walked
    (D(150), [(D(100), 15), (D(100), 29)], D("29.50")),  # 15 days of a mid-month D, then a leap February
])
def test_count_back_dso_edges(ar: Decimal, months: list[tuple[Decimal, int]], expected: Decimal) -> None:
    assert f.round2(f.count_back_dso(ar=ar, months=months)) == expected


def test_count_back_months_walk_calendar_months_from_d() -> None:
    sales = {date(2024, 3, 1): D(10), date(2024, 1, 1): D(30), date(2023, 12, 1): D(40)}
    assert f.count_back_months(date(2024, 3, 15), sales) == [
        (D(10), 15), (D(0), 29), (D(30), 31), (D(40), 31)]
    assert f.count_back_months(date(2024, 3, 31), {}) == [(D(0), 31)]


@pytest.mark.parametrize(("days_past_due", "bucket"), [
    (-10, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
    (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "over_120"), (4000, "over_120")])
def test_aging_bucket_boundaries(days_past_due: int, bucket: str) -> None:
    assert f.bucket_of(days_past_due) == bucket


def test_ar_position_average_days_past_due() -> None:
    p = f.ArPosition(total=D(900), past_due_weight=D(400 * 59 + 100 * 30))
    p.buckets["current"] = D(400)
    assert p.past_due == D(500) and f.round2(p.average_days_past_due) == D("53.20")
    assert f.ArPosition().average_days_past_due is None


def test_rounding_is_half_up() -> None:
    assert f.round2(D("1.005")) == D("1.01") and f.round2(D("-1.005")) == D("-1.01") and f.round2(None) is None


def test_periods() -> None:
    assert Period.week(date(2026, 11, 22)) == Period(date(2026, 11, 16), date(2026, 11, 22), "week")
    assert Period.month(date(2024, 2, 10)).days == 29
    q = Period.quarter(date(2026, 11, 22))
    assert (q.start, q.end, q.days) == (date(2026, 10, 1), date(2026, 12, 31), 92)
    assert Period.day(date(2026, 1, 1)).days == 1
    assert Period.month(date(2026, 3, 5), as_of=date(2026, 3, 15)).at == date(2026, 3, 15)
    assert Period.of("custom", start=date(2026, 1, 1), end=date(2026, 1, 10)).days == 10
    with pytest.raises(InvalidPeriod):
        Period(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(InvalidPeriod):
        Period.of("custom", start=date(2026, 1, 1))
    with pytest.raises(InvalidPeriod):
        Period.of("month")


def test_every_definition_has_formula_unit_and_worked_example() -> None:
    assert len(DEFINITIONS) >= 30
    for d in DEFINITIONS.values():
        assert d.formula and d.example and d.unit in ("money", "days", "hours", "percent", "count", "minutes")
