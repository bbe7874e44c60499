"""The aging query: one scan of the ledger entries effective by the as-of date, buckets pivoted in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from o2c_collections.receivables.models import LedgerEntry
from o2c_common.http import PageRequest, keyset_select

# grouping keys are never null (a ledger entry without a team is grouped under ''), so they can be a keyset
DIMENSIONS: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
    "customer": LedgerEntry.customer_id, "entity": LedgerEntry.legal_entity, "currency": LedgerEntry.currency,
    "team": func.coalesce(LedgerEntry.owning_team, literal("")),
}


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


async def bucket_sums(session: AsyncSession, *, as_of: date, by: str, bounds: tuple[int, ...], team: str | None,
                      page: PageRequest | None) -> Sequence[Any]:
    """Rows ``(key, currency, *bucket sums)`` of the keys with something open, ordered by key and currency; a page
    of them (``limit + 1`` rows after the cursor) when ``page`` is given.

    By customer a page is read in the order of ``ix_ledger_entries_customer_aging`` (customer, currency, with the
    effective date, due date and amount included): PostgreSQL aggregates the index in order and stops after the
    page, instead of grouping the whole ledger."""
    key = DIMENSIONS[by]
    sums = [func.sum(LedgerEntry.amount).filter(f) for f in bucket_filters(as_of, bounds)]
    stmt = (select(key, LedgerEntry.currency, *sums).where(LedgerEntry.effective_date <= as_of)
            .group_by(key, LedgerEntry.currency).having(or_(*(s != Decimal(0) for s in sums))))
    if team is not None:
        stmt = stmt.where(LedgerEntry.owning_team == team)
    if page is None:
        return (await session.execute(stmt.order_by(key, LedgerEntry.currency))).all()
    return (await session.execute(keyset_select(stmt, page=page, order_by=(key, LedgerEntry.currency)))).all()
