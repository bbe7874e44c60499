"""The credit risk score, a pure function of a customer's payment history: 0 (best) to 100 (worst), the sum of
four capped factors, each shown with its value and points so a person can see why; once a late-payment model is
trained (risk/), a fifth: the probability its riskiest open invoice is paid late (the sum capped at 100)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from o2c_collections.credit.schemas import Factor

RECENT_DAYS = 90
LATE_MAX, TREND_MAX, PROMISES_MAX, DISPUTES_MAX = 40, 20, 20, 20
LATE_FULL_AT = Decimal(60)  # average days late giving all the late points
TREND_FULL_AT = Decimal(30)  # worsening (recent minus earlier average) giving all the trend points
POINTS_PER_BROKEN_PROMISE, POINTS_PER_DISPUTE = 10, 5
PREDICTED_MAX = 20  # points of a certain late payment predicted


def _avg(values: list[int]) -> Decimal | None:
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1")) if values else None


def _points(value: Decimal, *, full_at: Decimal, cap: int) -> int:
    return int(min(Decimal(cap), max(Decimal(0), value) * cap / full_at).quantize(Decimal(1), ROUND_HALF_UP))


def _predicted(late: tuple[Decimal, Decimal, str]) -> Factor:
    probability, days, invoice = late
    return Factor(factor="predicted_late_payment", value=probability, max_points=PREDICTED_MAX,
                  points=int((probability * PREDICTED_MAX).quantize(Decimal(1), ROUND_HALF_UP)),
                  explanation=f"invoice {invoice} predicted {(probability * 100).quantize(Decimal('0.1'))} % likely "
                              f"to be paid late, {days} days late expected (late-payment model)")


def score(*, history: list[tuple[date, date]], broken_promises: int, disputes: int, as_of: date,
          predicted: tuple[Decimal, Decimal, str] | None = None) -> tuple[int, list[Factor]]:
    """``history`` is (due date, settled date) per invoice; days late = max(0, settled - due); ``predicted`` the
    predicted (probability, expected days late, invoice number) of the riskiest open invoice, if a model exists."""
    late = [max(0, (settled - due).days) for due, settled in history]
    recent_from = as_of - timedelta(days=RECENT_DAYS)
    recent = [max(0, (s - d).days) for d, s in history if s > recent_from]
    earlier = [max(0, (s - d).days) for d, s in history if s <= recent_from]
    average = _avg(late) or Decimal(0)
    recent_avg, earlier_avg = _avg(recent), _avg(earlier)
    trend = recent_avg - earlier_avg if recent_avg is not None and earlier_avg is not None else Decimal(0)
    factors = [
        Factor(factor="average_days_late", value=average, max_points=LATE_MAX,
               points=_points(average, full_at=LATE_FULL_AT, cap=LATE_MAX),
               explanation=f"{len(late)} invoices due, paid (or still open) {average} days after due on average"),
        Factor(factor="days_late_trend", value=trend, max_points=TREND_MAX,
               points=_points(trend, full_at=TREND_FULL_AT, cap=TREND_MAX),
               explanation=f"last {RECENT_DAYS} days average {recent_avg} vs earlier {earlier_avg} "
                           "(only a worsening adds points)"),
        Factor(factor="broken_promises", value=Decimal(broken_promises), max_points=PROMISES_MAX,
               points=min(PROMISES_MAX, POINTS_PER_BROKEN_PROMISE * broken_promises),
               explanation=f"{broken_promises} promises to pay broken"),
        Factor(factor="disputes", value=Decimal(disputes), max_points=DISPUTES_MAX,
               points=min(DISPUTES_MAX, POINTS_PER_DISPUTE * disputes), explanation=f"{disputes} disputes opened"),
    ]
    if predicted is not None:
        factors.append(_predicted(predicted))
    return min(100, sum(f.points for f in factors)), factors
