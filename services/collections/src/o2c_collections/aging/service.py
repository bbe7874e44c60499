"""Aging as of any date: one scan of the ledger (each movement carries its invoice's due date, so its bucket is known
without a join), grouped by customer, entity, currency or team, with configurable buckets, in cursor pages.

The buckets are pivoted in SQL (``aging/repository.py``), so the database returns one row per key and currency.
A page by customer reads only that page's customers (an index in customer order); the first page also carries the
totals per currency (the same query grouped by currency). As of any past date, because nothing is summarised
ahead: the ledger itself is read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from o2c_collections.aging import repository
from o2c_collections.aging.schemas import AgingPage, AgingRow
from o2c_common.errors import UnprocessableEntity
from o2c_common.http import PageRequest, encode_cursor
from o2c_common.money import minor_units
from o2c_common.tx import Tx

DEFAULT_BUCKETS = (30, 60, 90, 120)
DIMENSIONS = tuple(repository.DIMENSIONS)
ZERO = Decimal(0)


def bucket_names(bounds: tuple[int, ...]) -> list[str]:
    names, low = ["current"], 1
    for high in bounds:
        names.append(f"{low}-{high}")
        low = high + 1
    return [*names, f">{bounds[-1]}"]


def _rows(result: Sequence[Any], *, as_of: date, by: str, names: list[str]) -> list[AgingRow]:
    quanta: dict[str, Decimal] = {}
    rows = []
    for k, currency, *amounts in result:
        quantum = quanta.get(currency) or quanta.setdefault(currency, Decimal(1).scaleb(-minor_units(currency)))
        values = [(a or ZERO).quantize(quantum, ROUND_HALF_UP) for a in amounts]
        rows.append(AgingRow.model_construct(
            key=None if by == "team" and k == "" else k, currency=currency, as_of=as_of,
            buckets=dict(zip(names, values, strict=True)),
            total=sum((a or ZERO for a in amounts), ZERO).quantize(quantum, ROUND_HALF_UP)))
    return rows


async def aging(tx: Tx, *, as_of: date, by: str, page: PageRequest,
                bounds: tuple[int, ...] = DEFAULT_BUCKETS, team: str | None = None) -> AgingPage:
    """A page of aging rows by ``by`` and currency; on the first page (no cursor) also the totals per currency."""
    if by not in DIMENSIONS:
        raise UnprocessableEntity(f"by must be one of {', '.join(DIMENSIONS)}")
    if not bounds or list(bounds) != sorted(set(bounds)) or bounds[0] < 1:
        raise UnprocessableEntity("buckets must be increasing positive day counts, e.g. 30,60,90,120")
    names = bucket_names(bounds)
    result = await repository.bucket_sums(tx.session, as_of=as_of, by=by, bounds=bounds, team=team, page=page)
    kept = result[:page.limit]
    next_cursor = encode_cursor(tuple(kept[-1][:2])) if len(result) > page.limit and kept else None
    items = _rows(kept, as_of=as_of, by=by, names=names)
    totals = None
    if page.after is None and by == "currency" and next_cursor is None:
        totals = items  # the one page by currency is the totals: not queried twice
    elif page.after is None:
        totals = _rows(await repository.bucket_sums(tx.session, as_of=as_of, by="currency", bounds=bounds, team=team,
                                                    page=None), as_of=as_of, by="currency", names=names)
    return AgingPage.model_construct(items=items, next_cursor=next_cursor, totals=totals)
