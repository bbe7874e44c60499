"""Rows of the ``inbox`` table: an event claimed by a consumer group is never applied by it again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiokafka.structs import ConsumerRecord
from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.jsonrows import json_rows, rows_of
from o2c_common.db.plumbing import inbox_table
from o2c_common.events.envelope import Event
from o2c_common.inbox.records import is_replay

CLAIMED = (("e", "uuid"), ("t", "text"), ("tp", "text"), ("p", "int"), ("o", "bigint"))
CLAIM_MANY = text(
    f"WITH x AS MATERIALIZED (SELECT * FROM {rows_of('claims', CLAIMED)} AS x), "  # noqa: S608 - this module's
    'new AS (INSERT INTO inbox (consumer, event_id, event_type, status, topic, partition, "offset") '
    "SELECT :consumer, e, t, 'processed', tp, p, o FROM x ON CONFLICT DO NOTHING RETURNING event_id) "
    "SELECT DISTINCT e FROM x WHERE e NOT IN (SELECT event_id FROM new)")


async def claim_many(session: AsyncSession, group_id: str,
                     work: Sequence[tuple[ConsumerRecord, Event]]) -> set[uuid.UUID]:
    """Claims every event of a batch as processed; the ids that were claimed before (usually none: only those
    come back, not every id claimed)."""
    if not work:
        return set()
    # One parameter for the rows: the same statement text for any batch size, so it is prepared once; a
    # multi-row VALUES is compiled anew for every batch, which cost more than the database work.
    claims = json_rows([(e.id, e.type, r.topic, r.partition, r.offset) for r, e in work])
    result = await session.execute(CLAIM_MANY, {"consumer": group_id, "claims": claims})
    return set(result.scalars())


async def claim(session: AsyncSession, group_id: str, event_id_source: Event | uuid.UUID, record: ConsumerRecord,
                status: str) -> bool:
    """Records the event in the inbox; False if it was seen before. A record replayed from the dead-letter
    topic (header ``o2c_replay``) may claim an id that was dead-lettered, and only such an id."""
    if isinstance(event_id_source, Event):
        event_id, event_type = event_id_source.id, event_id_source.type
    else:
        event_id, event_type = event_id_source, "unknown"
    stmt = insert(inbox_table).values(
        consumer=group_id, event_id=event_id, event_type=event_type, status=status,
        topic=record.topic, partition=record.partition, offset=record.offset,
    )
    if is_replay(record):
        stmt = stmt.on_conflict_do_update(
            index_elements=[inbox_table.c.consumer, inbox_table.c.event_id],
            set_={"status": status, "received_at": func.now()},
            where=inbox_table.c.status == "dead_lettered",
        )
    else:
        stmt = stmt.on_conflict_do_nothing()
    result = await session.execute(stmt.returning(inbox_table.c.event_id))
    return result.first() is not None
