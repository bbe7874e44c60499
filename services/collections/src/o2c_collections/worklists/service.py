"""Collector worklists: each account (customer and currency) with an overdue amount, ranked by
overdue amount x days past due (of its oldest overdue item) x risk weight, where the risk weight is
1 + the customer's credit risk score / 100 (``credit.service.scores``, the score GET /credit shows: average days
late and its trend, broken promises, disputes, and once a late-payment model is trained the predicted probability
its riskiest open invoice is paid late, also shown as ``late_probability`` and ``expected_days_late``). Amounts
held by disputes and deductions are not collectable and not counted. The overdue sums come from one SQL aggregate,
the scores and predictions from a few batch statements; the ranking and its cursor pages are computed here, so the
score has one definition."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from o2c_collections.credit import service as credit
from o2c_collections.risk import service as payment_risk
from o2c_collections.risk.schemas import CustomerRisk
from o2c_collections.worklists import repository
from o2c_collections.worklists.schemas import BUCKET_DAYS, WorklistRow, bucket_of
from o2c_common.auth import Principal, ensure_team_access, visible_team
from o2c_common.errors import ValidationFailed
from o2c_common.http import Page, PageRequest, build_page
from o2c_common.tx import Tx

CENT = Decimal("0.01")


def _team_for(principal: Principal, *, team: str | None) -> str | None:
    """Vendor agents see their own team only: no filter means theirs, another team is refused."""
    own = visible_team(principal)
    if own is None:
        return team
    if team is not None:
        ensure_team_access(principal, owning_team=team)
    return own


def risk_weight(score: int) -> Decimal:
    return (1 + Decimal(score) / 100).quantize(CENT)


def _key(row: WorklistRow) -> tuple[Decimal, str, str]:
    return row.priority, row.customer_id, row.currency


def _after(page: PageRequest) -> tuple[Decimal, str, str] | None:
    if page.after is None:
        return None
    try:
        priority, customer, currency = page.after
        return Decimal(str(priority)), str(customer), str(currency)
    except (ValueError, ArithmeticError):
        raise ValidationFailed("cursor is not a valid worklist cursor", type="invalid-cursor",
                               errors=[{"location": "query", "parameter": "cursor", "code": "invalid_cursor",
                                        "detail": "not a worklist cursor"}]) from None


def _row(row: Any, *, score: int, factors: list[Any], as_of: date, late: CustomerRisk | None) -> WorklistRow:
    weight = risk_weight(score)
    overdue = Decimal(row.overdue_amount)
    priority = (overdue * row.max_days_past_due * weight).quantize(CENT, ROUND_HALF_UP)
    points = ", ".join(f"{f.factor} {f.points}" for f in factors if f.points)
    broken = next((int(f.value) for f in factors if f.factor == "broken_promises"), 0)
    return WorklistRow(
        customer_id=row.customer_id, name=row.name, collector=row.collector, owning_team=row.owning_team,
        currency=row.currency, overdue_amount=overdue, overdue_items=row.overdue_items,
        max_days_past_due=row.max_days_past_due, bucket=bucket_of(row.max_days_past_due), broken_promises=broken,
        risk_score=score, risk_factors=factors, risk_weight=weight, priority=priority, as_of=as_of,
        late_probability=late.late_probability if late else None,
        expected_days_late=late.expected_days_late if late else None,
        explanation=f"{overdue.quantize(CENT)} {row.currency} overdue x {row.max_days_past_due} days past due x risk "
                    f"{weight} (1 + score {score}/100{': ' + points if points else ''}) = {priority}")


async def worklist(tx: Tx, *, page: PageRequest, as_of: date,
                   team: str | None = None, collector: str | None = None, entity: str | None = None,
                   currency: str | None = None, min_overdue: Decimal | None = None,
                   bucket: str | None = None) -> Page[WorklistRow]:
    low, high = BUCKET_DAYS[bucket] if bucket else (None, None)
    after = _after(page)
    overdue = await repository.overdue_accounts(
        tx.session, as_of=as_of, team=_team_for(tx.actor, team=team), collector=collector, entity=entity,
        currency=currency, min_overdue=min_overdue, min_days=low, max_days=high)
    customers = sorted({r.customer_id for r in overdue})
    late = await payment_risk.customer_risks(tx, customer_ids=customers, as_of=as_of)
    scores = await credit.scores(tx, customer_ids=customers, as_of=as_of, late=late)
    rows = sorted((_row(r, score=scores[r.customer_id][0], factors=scores[r.customer_id][1], as_of=as_of,
                        late=late.get(r.customer_id)) for r in overdue), key=_key, reverse=True)
    if after is not None:
        rows = [r for r in rows if _key(r) < after]
    return build_page(rows[:page.limit + 1], page=page, key=lambda r: (str(r.priority), r.customer_id, r.currency))
