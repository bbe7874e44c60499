from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer

from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.outbox import OutboxRelay

from .helpers import assert_ordered_per_key, create_topics, read_topic, unpublished, write_events


def producer_factory(bootstrap: str) -> Callable[[], AIOKafkaProducer]:
    return lambda: AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all",
                                    linger_ms=2, request_timeout_ms=5000)


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[OutboxRelay]:
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def wait_until(predicate: Callable[[], object], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_relay_publishes_every_row_in_order_per_key(pg_db: Database, infra: Infra) -> None:
    await create_topics(infra.kafka_bootstrap)
    ids = await write_events(pg_db, keys=20, per_key=50)
    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=producer_factory(infra.kafka_bootstrap))
    async with running(relay):
        await wait_until(lambda: relay.published_total >= 1000)
        await wait_until(lambda: _zero(pg_db))
    events = [e for e in await read_topic(infra.kafka_bootstrap, expect=10**9, timeout=3) if e.key in {str(i) for i in ids}]
    assert len(events) == 1000
    assert_ordered_per_key(events)


async def _zero(db: Database) -> bool:
    return await unpublished(db) == 0
