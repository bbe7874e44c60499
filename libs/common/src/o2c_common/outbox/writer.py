from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.bulk import copy_records
from o2c_common.db.plumbing import audit_log_table, outbox_table
from o2c_common.events.envelope import Event


def slot_for(key: str, slots: int) -> int:
    """The relay slot of an aggregate: every event of one key goes through the same slot, in order."""
    return zlib.crc32(key.encode()) % slots


# Built once, values bound at execution: building ``insert().values(...)`` on each call coerced every value into a
# bound parameter and computed the statement's cache key again (CPU on every write of every service).
_ADD_ONE = insert(outbox_table)


def _outbox_row(event: Event, slots: int) -> dict[str, Any]:
    return {"event_id": event.id, "topic": event.topic, "key": event.key, "slot": slot_for(event.key, slots),
            "event_type": event.type, "headers": event.header_pairs(), "payload": event.value()}


async def add_to_outbox(session: AsyncSession, event: Event, *, slots: int) -> None:
    """Write ``event`` to the outbox in the caller's transaction (no commit, no broker call)."""
    await session.execute(_ADD_ONE, _outbox_row(event, slots))


_COLUMNS = ("event_id", "topic", "key", "slot", "event_type", "headers", "payload")
_AUDIT_COLUMNS = ("actor", "action", "entity_type", "entity_id", "reason", "before", "after", "correlation_id")


AlsoRow = tuple[Table, Mapping[str, Any]]
"""One more row a state change writes with its audit entry and event (a status-history row): its table and values."""


@functools.cache
def _audited_insert(also: Table | None, also_columns: tuple[str, ...]) -> Any:
    """The event's insert with the audit entry (and ``also``'s row) in data-modifying CTEs: one statement, one round
    trip, for the rows a transition writes together. Built once per shape of ``also``."""
    entry = (insert(audit_log_table)
             .values({c: bindparam(f"audit_{c}", type_=audit_log_table.c[c].type) for c in _AUDIT_COLUMNS})
             .returning(audit_log_table.c.id).cte("audit_entry"))
    statement = (insert(outbox_table)
                 .values({c: bindparam(c, type_=outbox_table.c[c].type) for c in _COLUMNS})
                 .add_cte(entry).returning(select(entry.c.id).scalar_subquery()))
    if also is not None:
        row = insert(also).values({c: bindparam(f"also_{c}", type_=also.c[c].type) for c in also_columns})
        statement = statement.add_cte(row.cte("also_row"))
    return statement


async def add_audited_to_outbox(session: AsyncSession, event: Event, audit: dict[str, Any], *, slots: int,
                                also: AlsoRow | None = None) -> int:
    """:func:`add_to_outbox` and ``audit`` (an :func:`o2c_common.audit.log.audit_row`) appended to the audit log, and
    ``also``'s row inserted, in one statement; returns the audit entry's id."""
    values = {**_outbox_row(event, slots), **{f"audit_{c}": audit[c] for c in _AUDIT_COLUMNS}}
    table: Table | None = None
    columns: tuple[str, ...] = ()
    if also is not None:
        table, row = also
        columns = tuple(sorted(row))
        values |= {f"also_{c}": row[c] for c in columns}
    result = await session.execute(_audited_insert(table, columns), values)
    return int(result.scalar_one())


async def add_many_to_outbox(session: AsyncSession, events: Sequence[Event], *, slots: int) -> None:
    """Write ``events`` to the outbox in ONE copy (:func:`o2c_common.db.bulk.copy_records`), in their order: outbox
    ids follow the list, so the relay publishes one aggregate's events in the order given (bulk paths)."""
    await copy_records(session, outbox_table, _COLUMNS, [
        (event.id, event.topic, event.key, slot_for(event.key, slots), event.type, event.headers_json(),
         event.value()) for event in events])
