from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, String, Table, Text, Uuid, any_, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import NullType

from o2c_collections.receivables.models import EntryKind, LedgerEntry, OpenItem, OpenItemStatus
from o2c_collections.receivables.rows import FIELDS, MOVED, ItemRow
from o2c_collections.receivables.schemas import OpenAmountRead, OpenItemRead
from o2c_common.db.bulk import insert_new_rows, insert_rows, update_rows
from o2c_common.db.planning import planned_by_index
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_common.http.pagination import keyset_select


async def get(session: AsyncSession, *, invoice_id: uuid.UUID, for_update: bool = False) -> OpenItem | None:
    stmt = select(OpenItem).where(OpenItem.invoice_id == invoice_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def insert_many_new(session: AsyncSession, values: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """New open items in one statement of one shape (``db.bulk.insert_new_rows``): the invoice ids inserted. ``ON
    CONFLICT DO NOTHING`` on the invoice id: an invoice that has its item already is left alone, and two writers
    racing (the consumer and the history importer) never fail; the caller writes the first entries of the ones
    inserted."""
    table: Table = OpenItem.__table__  # type: ignore[assignment]
    return set(await insert_new_rows(session, table, values, key="invoice_id"))


async def insert_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Ledger entries by one COPY (``db.bulk.insert_rows``)."""
    table: Table = LedgerEntry.__table__  # type: ignore[assignment]
    await insert_rows(session, table, rows)


async def add_entry(session: AsyncSession, entry: LedgerEntry) -> None:
    session.add(entry)
    await session.flush()


async def open_items_for_update(session: AsyncSession, *, invoice_ids: Sequence[uuid.UUID]) -> list[OpenItem]:
    """The items locked in invoice id order (a fixed order: two transactions never deadlock on them)."""
    if not invoice_ids:
        return []
    stmt = (select(OpenItem).where(OpenItem.invoice_id.in_(invoice_ids)).order_by(OpenItem.invoice_id)
            .with_for_update())
    return list((await session.scalars(stmt)).all())


async def open_items_of(session: AsyncSession, *, customer_ids: Sequence[str], currency: str) -> list[OpenItem]:
    if not customer_ids:
        return []
    stmt = select(OpenItem).where(OpenItem.customer_id.in_(customer_ids), OpenItem.currency == currency,
                                  OpenItem.status == OpenItemStatus.OPEN)
    return list((await session.scalars(stmt)).all())


async def candidates_for_update(session: AsyncSession, *, customer_ids: Sequence[str], currency: str,
                                keys: Sequence[str], team: str | None = None, named_only: bool = False
                                ) -> list[OpenItem]:
    """The open items of ``customer_ids`` in ``currency``, locked in invoice id order (never a deadlock), then the
    items (open or closed, anyone's) whose number one of ``keys`` names (``match_keys``, GIN-indexed: the number as
    written and with zeros dropped), read without a lock: only the payer's and its group's items can be applied;
    another customer's named item only stops the match, so a mistyped or foreign reference never makes one booking
    wait on (or deadlock with) another customer's. Only ``team``'s items when one is given (cash booked by a vendor
    agent never touches, nor sees, another team's invoices). ``named_only``: of the payers' open items only those a
    key names (imported history: the source system says which invoices a payment paid)."""
    async def run(stmt: Select[Any]) -> Sequence[Any]:
        return (await session.scalars(stmt)).all()

    only: list[uuid.UUID] | None = None
    if named_only:  # the named ids alone: an item loaded unlocked before the lock would stay so in the session
        only = list(await run(_own(items_keyed(keys, (OpenItem.invoice_id,)), team))) if keys else []
    found: dict[uuid.UUID, OpenItem] = {}
    for item in await _candidates(run, (OpenItem,), customer_ids=customer_ids, currencies=[currency], keys=keys,
                                  team=team, only=only):
        found.setdefault(item.invoice_id, item)
    return list(found.values())


def _own(stmt: Select[Any], team: str | None) -> Select[Any]:
    return stmt.where(OpenItem.owning_team == team) if team is not None else stmt


async def _candidates(run: Callable[[Select[Any]], Awaitable[Sequence[Any]]], selected: Sequence[Any], *,
                      customer_ids: Sequence[str], currencies: Sequence[str], keys: Sequence[str], team: str | None,
                      only: Sequence[uuid.UUID] | None = None, keyed: Sequence[Any] | None = None) -> list[Any]:
    """The rows of :func:`candidates_for_update` (``selected``: the ORM entity or the columns; ``run`` executes a
    statement): the payers' open items in ``currencies`` (``only`` those ids, when given), locked in invoice id
    order, then the items a key names (``keyed``, when read already); ``team``'s only."""
    payers: Sequence[Any] = []
    if customer_ids and (only is None or only):
        stmt = select(*selected).where(
            OpenItem.customer_id == any_(cast(list(customer_ids), ARRAY(String))),
            OpenItem.currency == any_(cast(list(currencies), ARRAY(String))),
            OpenItem.status == OpenItemStatus.OPEN)
        if only is not None:
            stmt = stmt.where(OpenItem.invoice_id == any_(cast(list(only), ARRAY(Uuid))))
        payers = await run(_own(stmt.order_by(OpenItem.invoice_id).with_for_update(), team))
    if keyed is None:
        keyed = await run(_own(items_keyed(keys, selected), team)) if keys else []
    return [*payers, *keyed]


def items_keyed(keys: Sequence[str], selected: Sequence[Any] = (OpenItem,)) -> Select[Any]:
    """The items (open or closed, anyone's) one of ``keys`` names, an item once per key naming it (``selected``: the
    ORM entity or columns): one GIN probe a key (``match_keys @> ARRAY[key]`` over ``unnest(keys)``).
    ``match_keys && keys`` with a chunk's thousands of keys is planned as a scan of every open item against the
    whole array (1.2 s against 9 ms for 2,000 keys over 20,000 items, and growing with both)."""
    key = func.unnest(cast(sorted(set(keys)), ARRAY(Text))).table_valued("key").render_derived()
    return (select(*selected).select_from(OpenItem)
            .join(key, OpenItem.match_keys.contains(array([key.c.key]))))


async def items_numbered(session: AsyncSession, *, numbers: Sequence[str]) -> list[OpenItem]:
    """Items (open or closed) whose number, upper-cased, is one of ``numbers`` (index on upper(invoice_number))."""
    if not numbers:
        return []
    stmt = select(OpenItem).where(func.upper(OpenItem.invoice_number).in_(numbers))
    return list((await session.scalars(stmt)).all())


async def credit_note_posted(session: AsyncSession, *, credit_note_id: uuid.UUID) -> bool:
    stmt = select(LedgerEntry.id).where(LedgerEntry.credit_note_id == credit_note_id).limit(1)
    return (await session.scalar(stmt)) is not None


async def allowances_of(session: AsyncSession, *, application_id: uuid.UUID) -> list[LedgerEntry]:
    """The tolerance and early-payment-discount write-offs booked with an application (not their reversals)."""
    stmt = (select(LedgerEntry).where(LedgerEntry.application_id == application_id,
                                      LedgerEntry.kind == EntryKind.TOLERANCE_WRITE_OFF, LedgerEntry.amount < 0)
            .order_by(LedgerEntry.sequence))
    return list((await session.scalars(stmt)).all())


async def entries(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[LedgerEntry]:
    stmt = (select(LedgerEntry).where(LedgerEntry.invoice_id == invoice_id)
            .order_by(LedgerEntry.sequence, LedgerEntry.id))
    return list((await session.scalars(stmt)).all())


OPEN_AMOUNTS = tuple(getattr(OpenItem, name) for name in OpenAmountRead.model_fields)
"""The columns of an item's ledger figures (``OpenAmountRead``): read as rows, not as entities, for pages of up to
1,000 items an importer or the reconciliation asks for again and again."""


async def items_after(session: AsyncSession, *, after: uuid.UUID | None, limit: int,
                      team: str | None = None) -> list[OpenItem]:
    """Up to ``limit`` open items (open or closed) ascending by invoice id, after ``after`` (a keyset page)."""
    stmt = where_equal(select(OpenItem), {OpenItem.owning_team: team})
    if after is not None:
        stmt = stmt.where(OpenItem.invoice_id > after)
    return list((await session.scalars(stmt.order_by(OpenItem.invoice_id).limit(limit))).all())


async def open_amounts_after(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> Sequence[Any]:
    """The ledger figures (:data:`OPEN_AMOUNTS`) of up to ``limit`` items (open or closed) ascending by invoice id,
    after ``after`` (a keyset page)."""
    stmt = select(*OPEN_AMOUNTS)
    if after is not None:
        stmt = stmt.where(OpenItem.invoice_id > after)
    return (await session.execute(stmt.order_by(OpenItem.invoice_id).limit(limit))).all()


async def open_amounts_of(session: AsyncSession, *, invoice_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
    """The ledger figures (:data:`OPEN_AMOUNTS`) of the items of ``invoice_ids`` that exist, ascending by invoice
    id."""
    stmt = (select(*OPEN_AMOUNTS).where(OpenItem.invoice_id == any_(cast(sorted(set(invoice_ids)), ARRAY(Uuid))))
            .order_by(OpenItem.invoice_id))
    return (await session.execute(stmt)).all()


async def list_page(session: AsyncSession, *, page: PageRequest, customer_id: str | None,
                    team: str | None) -> Page[OpenItemRead]:
    """Open items by due date."""
    stmt = where_equal(select(OpenItem), {OpenItem.customer_id: customer_id, OpenItem.owning_team: team})
    return await keyset_page(session, stmt, page=page, order_by=(OpenItem.due_date, OpenItem.invoice_id),
                             item=OpenItemRead.model_validate)


BALANCE_DIMENSIONS = {"invoice": LedgerEntry.invoice_id, "customer": LedgerEntry.customer_id,
                      "entity": LedgerEntry.legal_entity, "currency": LedgerEntry.currency,
                      "team": LedgerEntry.owning_team}


async def balances(session: AsyncSession, *, by: str, as_of: date, team: str | None,
                   customer_id: str | None, page: PageRequest) -> Sequence[Any]:
    """Rows (sort, key, currency, amount) of the movements effective by ``as_of``, per ``by`` and currency: one
    keyset page (up to ``limit + 1`` rows) ordered by the key as text (no key: '') and the currency."""
    key = BALANCE_DIMENSIONS[by]
    sort = func.coalesce(cast(key, Text), "")
    stmt: Any = (select(sort.label("sort"), key.label("key"), LedgerEntry.currency.label("currency"),
                        func.sum(LedgerEntry.amount).label("amount"))
                 .where(LedgerEntry.effective_date <= as_of).group_by(key, LedgerEntry.currency)
                 .having(func.sum(LedgerEntry.amount) != 0))
    stmt = where_equal(stmt, {LedgerEntry.owning_team: team, LedgerEntry.customer_id: customer_id})
    return (await session.execute(keyset_select(stmt, page=page, order_by=(sort, LedgerEntry.currency)))).all()


async def chunk_items_for_update(session: AsyncSession, *, customer_ids: Sequence[str], currencies: Sequence[str],
                                 keys: Sequence[str], team: str | None = None, named_only: bool = False
                                 ) -> list[ItemRow]:
    """:func:`candidates_for_update` for a chunk of payments, as rows: the open items of every payer and group in
    the chunk's currencies (``named_only``: those a remittance key names), locked in invoice id order, then the items
    any remittance key names."""
    table = OpenItem.__table__
    # the keys as the driver decodes them (a list of str): ARRAY's own result processing walked every element
    columns = [type_coerce(table.c[name], NullType()) if name == "match_keys" else table.c[name] for name in FIELDS]
    found: dict[uuid.UUID, ItemRow] = {}
    connection = await session.connection()  # Core rows: the ORM's loading adds nothing to plain columns

    async def run(stmt: Select[Any]) -> Sequence[Any]:
        return (await connection.execute(stmt)).all()

    async with planned_by_index(connection):  # the payers by their index even while a bulk load outgrows ANALYZE
        keyed: Sequence[Any] | None = None
        if named_only:  # plain rows: the named items, read first, are not read again; the payers' among them locked
            keyed = await run(_own(items_keyed(keys, columns), team)) if keys else []
        rows = await _candidates(run, columns, customer_ids=customer_ids, currencies=currencies, keys=keys, team=team,
                                 only=None if keyed is None else [row.invoice_id for row in keyed], keyed=keyed)
    for row in rows:
        if row.invoice_id not in found:
            item = found[row.invoice_id] = ItemRow(*row)
            item.status = OpenItemStatus(item.status)
    return list(found.values())


async def refresh_items(session: AsyncSession, items: Sequence[ItemRow]) -> None:
    """The moving figures of ``items`` read again (after the per-payment path moved some of them)."""
    if not items:
        return
    table = OpenItem.__table__
    stmt = select(table.c.invoice_id, *(table.c[name] for name in MOVED)).where(
        table.c.invoice_id == any_(cast([i.invoice_id for i in items], ARRAY(Uuid))))
    current = {row[0]: row[1:] for row in (await session.execute(stmt)).all()}
    for item in items:
        for name, value in zip(MOVED, current[item.invoice_id], strict=True):
            setattr(item, name, value)
        item.status = OpenItemStatus(item.status)


async def update_items(session: AsyncSession, items: Sequence[ItemRow]) -> None:
    """The moving figures of ``items`` written in one statement; an ORM copy of one in the session is expired (the
    next read of it loads the row again)."""
    if not items:
        return
    table: Table = OpenItem.__table__  # type: ignore[assignment]
    await update_rows(session, table, [{name: getattr(i, name) for name in ("invoice_id", *MOVED)} for i in items],
                      key="invoice_id")
    identities = session.sync_session.identity_map
    for item in items:
        copy = identities.get(identity_key(OpenItem, (item.invoice_id,)))
        if copy is not None:
            session.expire(copy)
