"""The relay's fetch: the oldest unpublished rows of the slots it owns, in id order, whatever the backlog of each
slot (each slot read by its own index range, not every unpublished row sorted)."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy import text

from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.outbox.relay import _FETCH


async def test_a_fetch_takes_the_oldest_unpublished_rows_of_the_owned_slots_in_id_order(pg_db: Database) -> None:
    async with pg_db.unit_of_work() as session:
        for n in range(120):
            await session.execute(text(
                "INSERT INTO outbox (event_id, topic, key, slot, event_type, headers, payload, published_at)"
                " VALUES (:e, 't', :k, :slot, 'x', '[]', '\\x00', CASE WHEN :n % 7 = 0 THEN now() END)"),
                {"e": uuid.uuid4(), "k": f"k{n}", "slot": (n * 5) % 4, "n": n})
        stored = (await session.execute(text(
            "SELECT id, slot, published_at IS NULL FROM outbox ORDER BY id"))).all()
    wanted = [row.id for row in stored if row[2] and row.slot in (0, 2, 3)]
    conn = await asyncpg.connect(asyncpg_dsn(pg_db.url))
    try:
        for limit in (1, 10, 25, 1000):
            fetched = [row["id"] for row in await conn.fetch(_FETCH, [0, 2, 3], limit)]
            assert fetched == wanted[:limit]
        assert await conn.fetch(_FETCH, [], 10) == []
    finally:
        await conn.close()
