"""The relay's fetch: the oldest unpublished rows of the slots it owns, in id order, whatever the backlog of each
slot (each slot read by its own index range, not every unpublished row sorted); and the backlog /metrics reports,
read without counting every unpublished row."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy import text

from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.outbox.relay import RELAY_SESSION, fetch_statement, outbox_backlog


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
    conn = await asyncpg.connect(asyncpg_dsn(pg_db.url), server_settings=RELAY_SESSION)
    try:
        for limit in (1, 10, 25, 1000):
            fetched = [row["id"] for row in await conn.fetch(fetch_statement((0, 2, 3)), limit)]
            assert fetched == wanted[:limit]
        only_one = [row.id for row in stored if row[2] and row.slot == 1]
        assert [row["id"] for row in await conn.fetch(fetch_statement((1,)), 1000)] == only_one
    finally:
        await conn.close()


async def test_the_backlog_is_counted_exactly_up_to_its_bound_and_above_it_is_the_span_of_ids(pg_db: Database) -> None:
    async with pg_db.engine.connect() as conn:
        assert await outbox_backlog(conn, slots=4) == (0, 0.0)
    async with pg_db.unit_of_work() as session:
        # ids 1..30; every third one published; the oldest unpublished row (id 2) was written 90 s ago
        for n in range(1, 31):
            await session.execute(text(
                "INSERT INTO outbox (event_id, topic, key, slot, event_type, headers, payload, created_at,"
                " published_at) VALUES (:e, 't', :k, :slot, 'x', '[]', '\\x00',"
                " now() - make_interval(secs => CASE WHEN :n = 2 THEN 90 ELSE 5 END),"
                " CASE WHEN :n % 3 = 1 THEN now() END)"), {"e": uuid.uuid4(), "k": f"k{n}", "slot": n % 4, "n": n})
        first, last = (await session.execute(text("SELECT min(id), max(id) FROM outbox"))).one()
        oldest_unpublished = first + 1
    async with pg_db.engine.connect() as conn:
        count, age = await outbox_backlog(conn, slots=4)
        assert count == 20  # exact: 30 rows, 10 published
        assert 90 <= age < 120
        bounded, _ = await outbox_backlog(conn, slots=4, counted=15)
        assert bounded == last - oldest_unpublished + 1 == 29  # more than 15 rows: the span of ids, at least the 20
