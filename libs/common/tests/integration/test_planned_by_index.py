"""planned_by_index (o2c_common.db.planning): a block's statements take the index where the planner would scan a table
it thinks small, and the setting is as it was after the block, or after a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c_common.db import Database
from o2c_common.db.planning import planned_by_index

pytestmark = pytest.mark.integration

QUERY = "EXPLAIN SELECT * FROM plan_probe WHERE customer_id = ANY(CAST(:ids AS text[])) ORDER BY id FOR UPDATE"


async def _plan(conn: AsyncConnection) -> str:
    return "\n".join((await conn.execute(text(QUERY), {"ids": [f"C-{n}" for n in range(400)]})).scalars())


async def test_a_block_takes_the_index_and_leaves_the_setting_as_it_was(pg_db: Database) -> None:
    async with pg_db.engine.connect() as conn:
        await conn.execute(text("CREATE TEMP TABLE plan_probe (id int PRIMARY KEY, customer_id text NOT NULL)"))
        await conn.execute(text("CREATE INDEX ON plan_probe (customer_id)"))
        await conn.execute(text("INSERT INTO plan_probe SELECT n, 'C-' || n FROM generate_series(1, 20) n"))
        await conn.execute(text("ANALYZE plan_probe"))  # a small table, as stale statistics make a grown one look
        assert "Seq Scan" in await _plan(conn)
        async with planned_by_index(conn):
            plan = await _plan(conn)
            assert "Seq Scan" not in plan and "plan_probe_customer_id_idx" in plan
        assert "Seq Scan" in await _plan(conn)
        assert (await conn.execute(text("SHOW enable_seqscan"))).scalar() == "on"
        await conn.rollback()
    async with pg_db.engine.connect() as conn:
        with pytest.raises(RuntimeError):
            async with planned_by_index(conn):
                raise RuntimeError("the block fails")
        await conn.rollback()
        assert (await conn.execute(text("SHOW enable_seqscan"))).scalar() == "on"
