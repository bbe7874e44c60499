from __future__ import annotations

import functools
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CTE, LargeBinary, Row, Table, Text, bindparam, cast, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.bulk import copy_records
from o2c_common.db.plumbing import audit_log_table, outbox_table
from o2c_common.events.bundle import outbox_rows
from o2c_common.events.envelope import Event, new_event_id


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


def _fill_token() -> str:
    return f"@@fill-{uuid.uuid4().hex[:16]}@@"


@dataclass(frozen=True)
class Fill:
    """A value only the writing statement itself can know, such as a number taken under a row lock: ``cte`` is a
    data-modifying CTE returning one row with a ``value`` column (and any others), run by the same statement; where
    ``token`` stands in the event's payload or the audit entry's ``before``/``after``, its value is written instead,
    as is: it must be a string JSON needs no escape for (a number, a code). ``params`` are the CTE's bound values
    (names apart from the outbox's and the audit's)."""

    cte: CTE
    params: Mapping[str, Any]
    token: str = field(default_factory=_fill_token)


def _filled(column: Any, value: Any, token: Any, *, binary: bool) -> Any:
    """``column``'s bound value with ``token`` replaced by ``value`` (text in SQL; the payload is UTF-8 bytes)."""
    if binary:
        utf8: Any = literal_column("'UTF8'")
        return func.convert_to(func.replace(func.convert_from(column, utf8), token, value), utf8)
    return cast(func.replace(cast(column, Text), token, value), JSONB)


def _one_row(table: Table, values: Mapping[str, Any], fill: CTE | None) -> Any:
    """INSERT of ``values`` as one row; with ``fill``, one row per row ``fill`` returns: none when it wrote nothing
    (its guard did not hold), so the statement writes nothing at all."""
    if fill is None:
        return insert(table).values(values)
    typed = [cast(value, table.c[name].type) for name, value in values.items()]  # INSERT … SELECT infers no types
    return insert(table).from_select(list(values), select(*typed).select_from(fill))


@functools.cache
def _audited_insert(also: Table | None, also_columns: tuple[str, ...], fill: CTE | None = None) -> Any:
    """The event's insert with the audit entry (and ``also``'s row) in data-modifying CTEs: one statement, one round
    trip, for the rows a transition writes together; with ``fill``, that CTE too, its value written in the payload
    and the audit entry (:class:`Fill`), and every row written only if ``fill`` returns one. Built once per shape."""
    audit_values = {c: bindparam(f"audit_{c}", type_=audit_log_table.c[c].type) for c in _AUDIT_COLUMNS}
    outbox_values = {c: bindparam(c, type_=outbox_table.c[c].type) for c in _COLUMNS}
    if fill is not None:
        value, token = fill.c.value, bindparam("fill_token", type_=Text)
        outbox_values["payload"] = _filled(bindparam("payload", type_=LargeBinary), value, token, binary=True)
        for c in ("before", "after"):
            audit_values[c] = _filled(bindparam(f"audit_{c}", type_=JSONB), value, token, binary=False)
    entry = _one_row(audit_log_table, audit_values, fill).returning(audit_log_table.c.id).cte("audit_entry")
    returned = [select(entry.c.id).scalar_subquery().label("audit_id")]
    if fill is not None:
        returned += [select(c).scalar_subquery().label(c.name) for c in fill.c]
    statement = _one_row(outbox_table, outbox_values, fill).add_cte(entry).returning(*returned)
    if fill is not None:
        statement = statement.add_cte(fill)
    if also is not None:
        row = _one_row(also, {c: bindparam(f"also_{c}", type_=also.c[c].type) for c in also_columns}, fill)
        statement = statement.add_cte(row.cte("also_row"))
    return statement


async def add_audited_to_outbox(session: AsyncSession, event: Event, audit: dict[str, Any], *, slots: int,
                                also: AlsoRow | None = None, fill: Fill | None = None) -> Row[Any] | None:
    """:func:`add_to_outbox` and ``audit`` (an :func:`o2c_common.audit.log.audit_row`) appended to the audit log, and
    ``also``'s row inserted, in one statement; returns the audit entry's id (``audit_id``) and ``fill``'s columns.
    None when ``fill`` wrote nothing (its guard did not hold): then nothing is written at all."""
    values = {**_outbox_row(event, slots), **{f"audit_{c}": audit[c] for c in _AUDIT_COLUMNS}}
    table: Table | None = None
    columns: tuple[str, ...] = ()
    if also is not None:
        table, row = also
        columns = tuple(sorted(row))
        values |= {f"also_{c}": row[c] for c in columns}
    if fill is not None:
        values |= {**fill.params, "fill_token": fill.token}
    result = await session.execute(_audited_insert(table, columns, None if fill is None else fill.cte), values)
    return result.one() if fill is None else result.one_or_none()


async def add_many_to_outbox(session: AsyncSession, events: Sequence[Event], *, slots: int) -> None:
    """Write ``events`` to the outbox in ONE copy (:func:`o2c_common.db.bulk.copy_records`), in their order: outbox
    ids follow the list, so the relay publishes one aggregate's events in the order given (bulk paths). Events of
    one topic, type and slot go in bundle rows when the list is long (:mod:`o2c_common.events.bundle`)."""
    rows = [(event.id, event.topic, event.key, slot_for(event.key, slots), event.type, event.headers_json(),
             event.value()) for event in events]
    await copy_records(session, outbox_table, _COLUMNS, outbox_rows(rows, new_id=new_event_id))
