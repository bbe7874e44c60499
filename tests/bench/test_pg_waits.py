"""``--pg-stats``' sampler of where the services' transactions are: a holder idle in its transaction and a
transaction waiting for the holder's lock, each found with its statement."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from bench.pg_stats import Waits
from o2c_cli.testing import Infra


async def test_a_holder_waiting_for_its_service_and_a_waiter_on_its_lock(infra: Infra) -> None:
    name = f"o2c_waits_{uuid.uuid4().hex[:8]}"
    await infra.create_database(name)
    dsn = infra.database_url(name).replace("postgresql+asyncpg://", "postgresql://", 1)
    holder, waiter = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await holder.execute("BEGIN")
        await holder.execute("SELECT pg_advisory_xact_lock(4242)")
        await waiter.execute("BEGIN")
        blocked = asyncio.create_task(waiter.execute("SELECT pg_advisory_xact_lock(4242)"))
        await asyncio.sleep(0.1)
        waits = Waits(infra.admin_dsn(), interval=0.01)
        await waits.start()
        await asyncio.sleep(0.3)
        places = await waits.stop()
        await holder.execute("ROLLBACK")
        await blocked
        await waiter.execute("ROLLBACK")
    finally:
        await holder.close()
        await waiter.close()
        await infra.drop_database(name)
    assert places is not None
    mine = {(p["where"], p["statement"]): p["backends"] for p in places if p["database"] == name.removeprefix("o2c_")}
    assert mine == {
        ("in a transaction, waiting for the service, after", "SELECT pg_advisory_xact_lock(4242)"): 1.0,
        ("waiting for a lock (advisory)", "SELECT pg_advisory_xact_lock(4242)"): 1.0}, places


async def test_without_pg_stats_nothing_is_sampled() -> None:
    waits = Waits(None)
    await waits.start()
    assert await waits.stop() is None
