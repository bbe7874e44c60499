from __future__ import annotations

import json
import zlib
from collections.abc import Sequence

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.plumbing import outbox_table
from o2c_common.events.envelope import Event


def slot_for(key: str, slots: int) -> int:
    """The relay slot of an aggregate: every event of one key goes through the same slot, in order."""
    return zlib.crc32(key.encode()) % slots


# Built once, values bound at execution: building ``insert().values(...)`` on each call coerced every value into a
# bound parameter and computed the statement's cache key again (CPU on every write of every service).
_ADD_ONE = insert(outbox_table)


async def add_to_outbox(session: AsyncSession, event: Event, *, slots: int) -> None:
    """Write ``event`` to the outbox in the caller's transaction (no commit, no broker call)."""
    await session.execute(_ADD_ONE, {
        "event_id": event.id,
        "topic": event.topic,
        "key": event.key,
        "slot": slot_for(event.key, slots),
        "event_type": event.type,
        "headers": [[k, v.decode()] for k, v in event.headers()],
        "payload": event.value(),
    })


_ADD_MANY = text(
    "INSERT INTO outbox (event_id, topic, key, slot, event_type, headers, payload) "
    "SELECT e, t, k, s, y, CAST(h AS jsonb), p FROM unnest(CAST(:ids AS uuid[]), CAST(:topics AS text[]), "
    "CAST(:keys AS text[]), CAST(:slots AS smallint[]), CAST(:types AS text[]), CAST(:headers AS text[]), "
    "CAST(:payloads AS bytea[])) WITH ORDINALITY AS x(e, t, k, s, y, h, p, n) ORDER BY n"
)


async def add_many_to_outbox(session: AsyncSession, events: Sequence[Event], *, slots: int) -> None:
    """Write ``events`` to the outbox in ONE statement (each column one array), in their order: outbox ids follow
    the list, so the relay publishes one aggregate's events in the order given (bulk paths)."""
    if not events:
        return
    await session.execute(_ADD_MANY, {
        "ids": [event.id for event in events], "topics": [event.topic for event in events],
        "keys": [event.key for event in events], "slots": [slot_for(event.key, slots) for event in events],
        "types": [event.type for event in events],
        "headers": [json.dumps([[k, v.decode()] for k, v in event.headers()]) for event in events],
        "payloads": [event.value() for event in events]})
