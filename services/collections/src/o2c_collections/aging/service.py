"""Aging as of any date: one scan of the ledger (each movement carries its invoice's due date, so its bucket is known
without a join), grouped by customer, entity, currency or team, with configurable buckets.

The buckets are pivoted in SQL (one ``sum(amount) FILTER (WHERE due_date in the bucket's range)`` per bucket, the
ranges turned into due-date bounds once per query), so the database returns one row per key and currency, and the
rows are built without re-validating what the query already typed. As of any past date, because nothing is
summarised ahead: the ledger itself is read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from o2c_collections.aging.schemas import AgingRow
from o2c_collections.receivables.models import LedgerEntry
from o2c_common.errors import UnprocessableEntity
from o2c_common.money import minor_units

DEFAULT_BUCKETS = (30, 60, 90, 120)
DIMENSIONS = {"customer": LedgerEntry.customer_id, "entity": LedgerEntry.legal_entity,
              "currency": LedgerEntry.currency, "team": LedgerEntry.owning_team}
ZERO = Decimal(0)


def bucket_names(bounds: tuple[int, ...]) -> list[str]:
    names, low = ["current"], 1
    for high in bounds:
        names.append(f"{low}-{high}")
        low = high + 1
    return [*names, f">{bounds[-1]}"]


def bucket_filters(as_of: date, bounds: tuple[int, ...]) -> list[ColumnElement[bool]]:
    """Per bucket, its days past due (as_of - due date) as a due-date range: current is due on or after as_of,
    1-30 is due in [as_of - 30, as_of - 1], ..., the last is due before as_of - its lower bound."""
    due = LedgerEntry.due_date
    filters: list[ColumnElement[bool]] = [due >= as_of]
    low = 1
    for high in bounds:
        filters.append(and_(due <= as_of - timedelta(days=low), due >= as_of - timedelta(days=high)))
        low = high + 1
    filters.append(due <= as_of - timedelta(days=low))
    return filters


async def aging(session: AsyncSession, *, as_of: date, by: str, bounds: tuple[int, ...] = DEFAULT_BUCKETS,
                team: str | None = None) -> list[AgingRow]:
    if by not in DIMENSIONS:
        raise UnprocessableEntity(f"by must be one of {', '.join(DIMENSIONS)}")
    if not bounds or list(bounds) != sorted(set(bounds)) or bounds[0] < 1:
        raise UnprocessableEntity("buckets must be increasing positive day counts, e.g. 30,60,90,120")
    names = bucket_names(bounds)
    key = DIMENSIONS[by]
    sums = [func.sum(LedgerEntry.amount).filter(f) for f in bucket_filters(as_of, bounds)]
    stmt = (select(key, LedgerEntry.currency, *sums).where(LedgerEntry.effective_date <= as_of)
            .group_by(key, LedgerEntry.currency))
    if team is not None:
        stmt = stmt.where(LedgerEntry.owning_team == team)
    result = (await session.execute(stmt)).all()
    quanta: dict[str, Decimal] = {}
    rows: list[tuple[Any, str, list[Decimal], Decimal]] = []
    for k, currency, *amounts in result:
        values = [a or ZERO for a in amounts]
        if not any(values):
            continue
        quantum = quanta.get(currency) or quanta.setdefault(currency, Decimal(1).scaleb(-minor_units(currency)))
        rows.append((k, currency, [v.quantize(quantum, ROUND_HALF_UP) for v in values],
                     sum(values, ZERO).quantize(quantum, ROUND_HALF_UP)))
    rows.sort(key=lambda r: (str(r[0]), r[1]))
    return [AgingRow.model_construct(key=k, currency=c, as_of=as_of, buckets=dict(zip(names, values, strict=True)),
                                     total=total) for k, c, values, total in rows]
