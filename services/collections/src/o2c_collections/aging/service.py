"""Aging as of any date: one scan of the ledger (each movement carries its invoice's due date, so its bucket
is known without a join), grouped by customer, entity, currency or team, with configurable buckets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.aging.schemas import AgingRow
from o2c_collections.receivables.models import LedgerEntry
from o2c_common.errors import UnprocessableEntity
from o2c_common.money import round_money

DEFAULT_BUCKETS = (30, 60, 90, 120)
DIMENSIONS = {"customer": LedgerEntry.customer_id, "entity": LedgerEntry.legal_entity,
              "currency": LedgerEntry.currency, "team": LedgerEntry.owning_team}


def bucket_names(bounds: tuple[int, ...]) -> list[str]:
    names, low = ["current"], 1
    for high in bounds:
        names.append(f"{low}-{high}")
        low = high + 1
    return [*names, f">{bounds[-1]}"]


async def aging(session: AsyncSession, *, as_of: date, by: str, bounds: tuple[int, ...] = DEFAULT_BUCKETS,
                team: str | None = None) -> list[AgingRow]:
    if by not in DIMENSIONS:
        raise UnprocessableEntity(f"by must be one of {', '.join(DIMENSIONS)}")
    if not bounds or list(bounds) != sorted(set(bounds)) or bounds[0] < 1:
        raise UnprocessableEntity("buckets must be increasing positive day counts, e.g. 30,60,90,120")
    names = bucket_names(bounds)
    days = literal(as_of) - LedgerEntry.due_date
    whens = [(days <= 0, 0)] + [(days <= high, n) for n, high in enumerate(bounds, start=1)]
    bucket = case(*whens, else_=len(bounds) + 1)
    key = DIMENSIONS[by]
    stmt = (select(key, LedgerEntry.currency, bucket, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.effective_date <= as_of).group_by(key, LedgerEntry.currency, bucket))
    if team is not None:
        stmt = stmt.where(LedgerEntry.owning_team == team)
    rows: dict[tuple[str | None, str], dict[str, Decimal]] = {}
    for k, currency, b, amount in (await session.execute(stmt)).all():
        row = rows.setdefault((k, currency), dict.fromkeys(names, Decimal(0)))
        row[names[b]] += amount
    return [AgingRow(key=k, currency=c, as_of=as_of,
                     buckets={n: round_money(v, c) for n, v in values.items()},
                     total=round_money(sum(values.values(), Decimal(0)), c))
            for (k, c), values in sorted(rows.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
            if any(values.values())]
