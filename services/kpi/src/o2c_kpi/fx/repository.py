"""Every query of the FX rates: the rates in force on a day (the latest on or before it, per currency), one
rate, and the set-based upsert of an ECB import."""

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


_UPSERT = text("""
    INSERT INTO fx_rates (base, quote, rate_date, rate, source, imported_at, imported_by, version)
    SELECT :base, r.quote, r.rate_date, r.rate, :source, :at, :by, 1
      FROM unnest(CAST(:quotes AS varchar[]), CAST(:days AS date[]), CAST(:rates AS numeric[]))
           AS r(quote, rate_date, rate)
    ON CONFLICT (base, quote, rate_date) DO UPDATE
       SET rate = excluded.rate, imported_at = excluded.imported_at, imported_by = excluded.imported_by,
           version = fx_rates.version + 1
     WHERE fx_rates.source = :source AND fx_rates.rate <> excluded.rate
    RETURNING (xmax = 0) AS inserted
""")


async def upsert_imported(session: AsyncSession, rows: Sequence[tuple[str, date, Decimal]], *, base: str,
                          source: RateSource, at: datetime, by: str) -> tuple[int, int]:
    """Store ``rows`` (quote, day, rate) of ``source``: new ones inserted, changed ones of the same source
    updated, hand-set rates left alone. Returns (inserted, updated); the rest were unchanged."""
    inserted = updated = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        result = await session.execute(_UPSERT, {
            "base": base, "source": source.value, "at": at, "by": by, "quotes": [r[0] for r in chunk],
            "days": [r[1] for r in chunk], "rates": [r[2] for r in chunk]})
        flags = result.scalars().all()
        inserted += sum(1 for f in flags if f)
        updated += sum(1 for f in flags if not f)
    return inserted, updated


async def manual_in(session: AsyncSession, *, base: str, keys: Sequence[tuple[str, date]]) -> int:
    """How many of ``keys`` (quote, day) hold a hand-set rate (an import keeps them)."""
    if not keys:
        return 0
    first, last = min(k[1] for k in keys), max(k[1] for k in keys)
    stmt = (select(FxRate.quote, FxRate.rate_date)
            .where(FxRate.base == base, FxRate.source == RateSource.MANUAL.value,
                   FxRate.rate_date.between(first, last)))
    wanted = set(keys)
    return sum(1 for quote, day in (await session.execute(stmt)).all() if (quote, day) in wanted)
