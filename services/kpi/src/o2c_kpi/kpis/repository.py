"""Queries of the KPI read models (o2c_kpi.facts.models). Each answers per currency where money is involved."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.kpis.formulas import WINDOW_DAYS, ZERO, ArPosition
from o2c_kpi.kpis.schemas import Scope

EPOCH = date(2000, 1, 1)
# One customer's AR: its own resolved movements with their invoice's due date (few rows, by index)
CUSTOMER_MOVEMENTS = """(SELECT i.legal_entity, i.currency, i.customer_id, i.owning_team, m.effective_date AS day,
    i.due_date, m.kind, m.amount FROM kpi_ar_invoices AS i JOIN receivable_movements AS m ON m.invoice_id = i.invoice_id
    WHERE m.resolved AND i.customer_id = :f_customer_id) AS customer_movements"""


def _sql(template: str, **fragments: str) -> TextClause:
    """``template`` with SQL fragments of this module filled in: fixed column names and expressions only, every
    value is a bound parameter."""
    return text(template.format(**fragments))


def _where(scope: Scope, params: dict[str, Any], *, customer: bool = True, currency: bool = True) -> str:
    """SQL conditions for ``scope`` (column names are fixed here, values bound)."""
    conds = []
    columns = {"legal_entity": scope.legal_entity, "owning_team": scope.team}
    if currency:
        columns["currency"] = scope.currency
    if customer:
        columns["customer_id"] = scope.customer_id
    for column, value in columns.items():
        if value is not None:
            params[f"f_{column}"] = value
            conds.append(f"{column} = :f_{column}")
    return "".join(f" AND {c}" for c in conds)


async def ar_positions(session: AsyncSession, *, scope: Scope, at: date) -> dict[str, ArPosition]:
    """AR at the end of ``at`` per currency, with aging buckets and the amount-weighted days past due."""
    params: dict[str, Any] = {"d": at, "epoch": EPOCH, "w": at - timedelta(days=WINDOW_DAYS)}
    buckets = """
        coalesce(sum(amount) FILTER (WHERE due_date >= :d), 0),
        coalesce(sum(amount) FILTER (WHERE due_date < :d AND due_date >= CAST(:d AS date) - 30), 0),
        coalesce(sum(amount) FILTER (WHERE due_date < CAST(:d AS date) - 30 AND due_date >= CAST(:d AS date) - 60), 0),
        coalesce(sum(amount) FILTER (WHERE due_date < CAST(:d AS date) - 60 AND due_date >= CAST(:d AS date) - 90), 0),
        coalesce(sum(amount) FILTER (WHERE due_date < CAST(:d AS date) - 90 AND due_date >= :w), 0),
        coalesce(sum(amount * (due_date - CAST(:epoch AS date))) FILTER (WHERE due_date >= :d), 0)"""
    positions: dict[str, ArPosition] = {}
    if scope.customer_id is not None:  # one customer: its own rows, all due dates
        where = _where(scope, params)
        rows = (await session.execute(_sql(
            "SELECT currency, coalesce(sum(amount), 0), coalesce(sum(amount * (due_date - CAST(:epoch AS date))), 0),"
            " {buckets} FROM {table} WHERE day <= :d{where} GROUP BY currency",
            buckets=buckets, table=CUSTOMER_MOVEMENTS, where=where), params)).all()
        for currency, total, weight, *parts in rows:
            positions[currency] = _position(at, total, weight, parts)
        return positions
    where = _where(scope, params, customer=False)
    totals = (await session.execute(_sql(
        "SELECT currency, coalesce(sum(amount), 0), coalesce(sum(due_weight), 0) FROM kpi_ar_daily_total"
        " WHERE day <= :d{where} GROUP BY currency", where=where), params)).all()
    recent = {row[0]: row[1:] for row in (await session.execute(_sql(
        "SELECT currency, {buckets} FROM kpi_ar_daily WHERE day <= :d AND due_date >= :w{where} GROUP BY currency",
        buckets=buckets, where=where), params)).all()}
    for currency, total, weight in totals:
        positions[currency] = _position(at, total, weight, list(recent.get(currency, (ZERO,) * 6)))
    return positions


def _position(at: date, total: Decimal, due_weight: Decimal, parts: list[Decimal]) -> ArPosition:
    """From the total, the sum of amount x due date (days since EPOCH), and the sums of the buckets up to
    91-120 plus the amount x due date of current AR: everything older is over 120 days past due."""
    *bucket_sums, current_weight = parts
    p = ArPosition(total=Decimal(total))
    for label, amount in zip(("current", "1-30", "31-60", "61-90", "91-120"), bucket_sums, strict=True):
        p.buckets[label] = Decimal(amount)
    p.buckets["over_120"] = p.total - sum(p.buckets.values(), ZERO)
    past_due_weight = Decimal(due_weight) - Decimal(current_weight)  # sum of amount x due (epoch days), past due
    p.past_due_weight = p.past_due * (at - EPOCH).days - past_due_weight
    return p


async def credit_sales(session: AsyncSession, *, scope: Scope, start: date, end: date) -> dict[str, Decimal]:
    params: dict[str, Any] = {"a": start, "b": end}
    table = CUSTOMER_MOVEMENTS if scope.customer_id is not None else "kpi_ar_daily_total"
    where = _where(scope, params, customer=scope.customer_id is not None)
    rows = (await session.execute(_sql(
        "SELECT currency, sum(amount) FROM {table} WHERE kind = 'invoice' AND day BETWEEN :a AND :b{where}"
        " GROUP BY currency", table=table, where=where), params)).all()
    return {currency: Decimal(amount) for currency, amount in rows}


async def monthly_credit_sales(session: AsyncSession, *, scope: Scope, at: date) -> dict[str, dict[date, Decimal]]:
    """Credit sales per calendar month up to ``at`` (its own month up to ``at``), per currency."""
    params: dict[str, Any] = {"d": at}
    table = CUSTOMER_MOVEMENTS if scope.customer_id is not None else "kpi_ar_daily_total"
    where = _where(scope, params, customer=scope.customer_id is not None)
    rows = (await session.execute(_sql(
        "SELECT currency, CAST(date_trunc('month', day) AS date), sum(amount) FROM {table}"
        " WHERE kind = 'invoice' AND day <= :d{where} GROUP BY 1, 2", table=table, where=where), params)).all()
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for currency, month, amount in rows:
        out[currency][month] = Decimal(amount)
    return out


async def counts(session: AsyncSession, *, scope: Scope, metrics: tuple[str, ...], start: date, end: date,
                 by: str | None = None, money: bool = False) -> list[tuple[str, str, str, int, Decimal]]:
    """(metric, currency, breakdown, count, value) summed over the period; ``by`` is "dimension" or a scope column
    to break down by; ``money`` keeps currencies apart (else currency is '')."""
    params: dict[str, Any] = {"metrics": list(metrics), "a": start, "b": end}
    where = _where(scope, params, currency=money)
    currency = "currency" if money else "''"
    breakdown = by or "''"
    rows = (await session.execute(_sql(
        "SELECT metric, {currency}, {breakdown}, sum(count), sum(value) FROM kpi_daily_counts"
        " WHERE metric = ANY(:metrics) AND day BETWEEN :a AND :b{where} GROUP BY 1, 2, 3",
        currency=currency, breakdown=breakdown, where=where), params)).all()
    return [(m, c, b, int(n), Decimal(v)) for m, c, b, n, v in rows]


@dataclass(frozen=True)
class OpenItems:
    """Items of one kind open at the end of a day, for one currency, owning team and agent."""

    kind: str
    currency: str
    team: str
    agent: str
    items: int
    amount: Decimal
    age_weight: Decimal  # sum of open amount x days since the item opened


async def open_items(session: AsyncSession, *, scope: Scope, kinds: tuple[str, ...], at: date,
                     money: bool = False) -> list[OpenItems]:
    """Items open at the end of ``at`` (balance above zero: amount, or count for counted items), grouped by kind,
    currency (if ``money``), owning team and agent at opening."""
    params: dict[str, Any] = {"kinds": list(kinds), "d": at}
    where = _where(scope, params, currency=money)
    currency = "max(currency)" if money else "''"
    rows = (await session.execute(_sql("""
        SELECT kind, cur, team, agent, count(*), sum(amount), sum(amount * (CAST(:d AS date) - opened)) FROM (
            SELECT kind, {currency} AS cur, max(owning_team) AS team, max(agent) AS agent, sum(amount) AS amount,
                   sum(count) AS n, min(opened_date) AS opened
            FROM kpi_open_item_movements WHERE kind = ANY(:kinds) AND day <= :d{where}
            GROUP BY kind, item_id
        ) AS items WHERE amount > 0 OR n > 0 GROUP BY 1, 2, 3, 4""", currency=currency, where=where),
        params)).all()
    return [OpenItems(k, c, t, a, int(n), Decimal(m or 0), Decimal(w or 0)) for k, c, t, a, n, m, w in rows]


STAGES = {
    "approved_to_submitted": ("approved_at", "submitted_at"),
    "submitted_to_accepted": ("submitted_at", "accepted_at"),
    "accepted_to_paid": ("accepted_at", "paid_at"),
    "approved_to_paid": ("approved_at", "paid_at"),
}
_STAGE_SUMS = ", ".join(
    f"count(*) FILTER (WHERE {end} >= :a AND {end} < :b AND {begin} <= {end}), "
    f"coalesce(sum(EXTRACT(EPOCH FROM {end} - {begin})) FILTER (WHERE {end} >= :a AND {end} < :b AND {begin} <= {end})"
    ", 0) / 86400"
    for begin, end in STAGES.values())


async def cycle_times(session: AsyncSession, *, scope: Scope, start: date, end: date) -> dict[str, tuple[int, Decimal]]:
    """Per stage: (samples, summed days), each sample counted in the period of the stage's end."""
    params: dict[str, Any] = {"a": start, "b": end + timedelta(days=1)}
    where = _where(scope, params, currency=False)
    row = (await session.execute(_sql(
        "SELECT {sums} FROM kpi_invoice_milestones WHERE (submitted_at >= :a AND submitted_at < :b"
        " OR accepted_at >= :a AND accepted_at < :b OR paid_at >= :a AND paid_at < :b){where}",
        sums=_STAGE_SUMS, where=where), params)).one()
    return {stage: (int(row[2 * i]), Decimal(row[2 * i + 1])) for i, stage in enumerate(STAGES)}


async def ar_totals(session: AsyncSession, *, scope: Scope, at: date) -> dict[str, Decimal]:
    """AR at the end of ``at`` per currency, without buckets."""
    params: dict[str, Any] = {"d": at}
    table = CUSTOMER_MOVEMENTS if scope.customer_id is not None else "kpi_ar_daily_total"
    where = _where(scope, params, customer=scope.customer_id is not None)
    rows = (await session.execute(_sql(
        "SELECT currency, sum(amount) FROM {table} WHERE day <= :d{where} GROUP BY currency",
        table=table, where=where), params)).all()
    return {currency: Decimal(amount) for currency, amount in rows}


SCOPE_COLUMNS = {"team": "owning_team", "legal_entity": "legal_entity", "customer": "customer_id"}


async def scope_values(session: AsyncSession, *, dimension: str) -> list[str]:
    """Every value of a scope dimension (team, legal_entity, customer) some fact names."""
    column = SCOPE_COLUMNS[dimension]
    rows = await session.execute(_sql(
        "SELECT DISTINCT v FROM (SELECT {c} AS v FROM kpi_ar_invoices UNION SELECT {c} FROM kpi_daily_counts"
        " UNION SELECT {c} FROM kpi_open_item_movements) AS x WHERE v <> '' ORDER BY v", c=column))
    return [str(r[0]) for r in rows.all()]
