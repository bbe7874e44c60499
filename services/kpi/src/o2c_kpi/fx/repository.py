"""Every query of the FX rates: the rates in force on a day (the latest on or before it, per currency), one
rate, the stored rates of a date range, and the set-based inserts and updates of an ECB import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.http import Page, PageRequest
from o2c_common.http.pagination import build_page
from o2c_kpi.fx.models import FxRate, RateSource

CHUNK = 20_000
"""Rates per upsert statement (three arrays, so any size binds as three parameters)."""


_IN_FORCE = text("""
    WITH RECURSIVE quotes(quote) AS (
        SELECT min(quote) FROM fx_rates WHERE base = :base AND quote > :after
        UNION ALL
        SELECT (SELECT min(f.quote) FROM fx_rates f WHERE f.base = :base AND f.quote > q.quote)
          FROM quotes q WHERE q.quote IS NOT NULL
    )
    SELECT r.* FROM quotes q
     CROSS JOIN LATERAL (SELECT * FROM fx_rates f
                          WHERE f.base = :base AND f.quote = q.quote AND f.rate_date <= :on
                          ORDER BY f.rate_date DESC LIMIT 1) r
     ORDER BY r.quote
     LIMIT :limit
""")
"""Per quote currency, its latest rate on or before ``on``: a skip scan of the primary key over the currencies
(one index probe each), then one probe for each currency's latest date, so the cost follows the number of
currencies, not the years of history held."""


async def in_force(session: AsyncSession, *, base: str, on: date, after: str = "",
                   limit: int | None = None) -> Sequence[FxRate]:
    stmt = select(FxRate).from_statement(_IN_FORCE)
    params = {"base": base, "on": on, "after": after, "limit": limit}
    rows: Sequence[FxRate] = (await session.scalars(stmt, params)).all()
    return rows


async def in_force_page(session: AsyncSession, *, base: str, on: date, page: PageRequest, item: Any) -> Page[Any]:
    after = str(page.after[0]) if page.after else ""
    rows = await in_force(session, base=base, on=on, after=after, limit=page.limit + 1)
    return build_page(rows, page=page, key=lambda r: (r.quote,), item=item)


async def get(session: AsyncSession, *, base: str, quote: str, day: date, for_update: bool = False) -> FxRate | None:
    return await session.get(FxRate, (base, quote, day), with_for_update=for_update)


async def add(session: AsyncSession, row: FxRate) -> None:
    session.add(row)
    await session.flush()


_INSERT = text("""
    INSERT INTO fx_rates (base, quote, rate_date, rate, source, imported_at, imported_by, version)
    SELECT :base, r.quote, r.rate_date, r.rate, :source, :at, :by, 1
      FROM unnest(CAST(:quotes AS varchar[]), CAST(:days AS date[]), CAST(:rates AS numeric[]))
           AS r(quote, rate_date, rate)
    ON CONFLICT (base, quote, rate_date) DO NOTHING
    RETURNING 1
""")
_UPDATE = text("""
    UPDATE fx_rates f
       SET rate = r.rate, imported_at = :at, imported_by = :by, version = f.version + 1
      FROM unnest(CAST(:quotes AS varchar[]), CAST(:days AS date[]), CAST(:rates AS numeric[]))
           AS r(quote, rate_date, rate)
     WHERE f.base = :base AND f.quote = r.quote AND f.rate_date = r.rate_date AND f.source = :source
       AND f.rate <> r.rate
    RETURNING 1
""")
Rate = tuple[str, date, Decimal]  # quote, day, rate


async def stored_between(session: AsyncSession, *, base: str, first: date,
                         last: date) -> dict[tuple[str, date], tuple[Decimal, str]]:
    """Every stored rate of ``base`` from ``first`` to ``last``: (quote, day) → (rate, source)."""
    stmt = (select(FxRate.quote, FxRate.rate_date, FxRate.rate, FxRate.source)
            .where(FxRate.base == base, FxRate.rate_date.between(first, last)))
    return {(quote, day): (rate, source) for quote, day, rate, source in (await session.execute(stmt)).all()}


async def insert_rates(session: AsyncSession, rows: Sequence[Rate], *, base: str, source: RateSource,
                       at: datetime, by: str) -> int:
    """Insert ``rows`` not stored yet (one stored meanwhile by another import is skipped); how many were."""
    return await _chunked(session, _INSERT, rows, base=base, source=source, at=at, by=by)


async def update_rates(session: AsyncSession, rows: Sequence[Rate], *, base: str, source: RateSource,
                       at: datetime, by: str) -> int:
    """Replace the stored rates of ``source`` that differ from ``rows``; how many were."""
    return await _chunked(session, _UPDATE, rows, base=base, source=source, at=at, by=by)


async def _chunked(session: AsyncSession, statement: Any, rows: Sequence[Rate], *, base: str, source: RateSource,
                   at: datetime, by: str) -> int:
    done = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        result = await session.execute(statement, {
            "base": base, "source": source.value, "at": at, "by": by, "quotes": [r[0] for r in chunk],
            "days": [r[1] for r in chunk], "rates": [r[2] for r in chunk]})
        done += len(result.all())
    return done
