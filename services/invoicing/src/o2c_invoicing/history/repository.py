"""The bulk statements of historical invoices: one existence read for the whole chunk, and each table written with
one statement (:func:`o2c_common.db.bulk.insert_rows`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CompoundSelect, String, Table, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.bulk import insert_rows
from o2c_common.db.plumbing import audit_log_table
from o2c_common.errors import Conflict
from o2c_invoicing.invoices.models import Invoice, InvoiceLine, InvoiceStatusChange
from o2c_invoicing.profiles.models import BillingProfile

Key = tuple[str, str]  # legal entity, number


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


_LOCK_KEYS = text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtextextended(x, 1651) AS k "
    "FROM unnest(CAST(:keys AS text[])) AS x ORDER BY k) AS keys")


async def lock_numbers(session: AsyncSession, keys: Sequence[Key]) -> None:
    """Transaction-scoped advisory locks on the chunk's (entity, number) keys, taken in one order: two chunks
    naming the same invoice wait for each other, so the second one sees the first one's rows."""
    await session.execute(_LOCK_KEYS, {"keys": sorted({f"{entity}/{number}" for entity, number in keys})})


@lru_cache(maxsize=1)
def _clash_statement() -> CompoundSelect[uuid.UUID, str, str | None]:
    keys = func.unnest(bindparam("entities", type_=ARRAY(String)), bindparam("numbers", type_=ARRAY(String)))\
        .table_valued("entity", "number").render_derived(name="keys")
    by_number = select(Invoice.id, Invoice.legal_entity, Invoice.number).join(
        keys, (Invoice.legal_entity == keys.c.entity) & (Invoice.number == keys.c.number))
    by_id = select(Invoice.id, Invoice.legal_entity, Invoice.number).where(
        Invoice.id == func.any(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))
    return by_number.union(by_id)


async def stored(session: AsyncSession, *, ids: Sequence[uuid.UUID], keys: Sequence[Key]
                 ) -> list[tuple[uuid.UUID, str, str | None]]:
    """(id, legal entity, number) of every stored invoice holding one of ``ids`` or one of ``keys``."""
    result = await session.execute(_clash_statement(), {
        "ids": list(ids), "entities": [k[0] for k in keys], "numbers": [k[1] for k in keys]})
    return [(row[0], row[1], row[2]) for row in result]


async def owning_teams(session: AsyncSession, customer_ids: Sequence[str]) -> dict[str, str | None]:
    """The owning team of each customer that has a billing profile."""
    stmt = select(BillingProfile.customer_id, BillingProfile.owning_team).where(
        BillingProfile.customer_id == func.any(bindparam("customers", type_=ARRAY(String))))
    return {row[0]: row[1] for row in await session.execute(stmt, {"customers": sorted(set(customer_ids))})}


async def write(session: AsyncSession, *, invoices: list[dict[str, Any]], lines: list[dict[str, Any]],
                history: list[dict[str, Any]], audit: list[dict[str, Any]]) -> None:
    """The chunk's rows, one statement per table; a clash with an invoice stored meanwhile by another path (the
    single-row import takes no chunk lock) is a 409 and the chunk is rolled back."""
    try:
        await insert_rows(session, _table(Invoice), invoices)
    except IntegrityError as exc:
        raise Conflict("an invoice of this chunk was stored by another request meanwhile; send the chunk again "
                       "(rows already stored are answered as existing)", type="historical-batch-raced",
                       title="Historical batch raced another import") from exc
    await insert_rows(session, _table(InvoiceLine), lines)
    await insert_rows(session, _table(InvoiceStatusChange), history)
    await insert_rows(session, audit_log_table, audit)
