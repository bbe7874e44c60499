from __future__ import annotations

import zlib

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.plumbing import outbox_table
from o2c_common.events.envelope import Event


def slot_for(key: str, slots: int) -> int:
    """The relay slot of an aggregate: every event of one key goes through the same slot, in order."""
    return zlib.crc32(key.encode()) % slots


async def add_to_outbox(session: AsyncSession, event: Event, *, slots: int) -> None:
    """Write ``event`` to the outbox in the caller's transaction (no commit, no broker call)."""
    await session.execute(
        insert(outbox_table).values(
            event_id=event.id,
            topic=event.topic,
            key=event.key,
            slot=slot_for(event.key, slots),
            event_type=event.type,
            headers=[[k, v.decode()] for k, v in event.headers()],
            payload=event.value(),
        )
    )
