"""Outbox relay against real PostgreSQL and the real broker: order, two replicas, a relay killed mid-batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.outbox import OutboxRelay

from .helpers import (
    TOPIC,
    AckLog,
    assert_ordered_per_key,
    consumer,
    create_receipts_table,
    create_topics,
    eventually,
    not_on_topic,
    producer_factory,
    read_topic,
    record_receipt,
    running,
    unpublished,
    write_events,
)


async def test_relay_publishes_every_row_in_order_per_key(pg_db: Database, own_broker: TansuBroker) -> None:
    await create_topics(own_broker.bootstrap_servers)
    await write_events(pg_db, keys=20, per_key=50)
    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=producer_factory(own_broker.bootstrap_servers))
    async with running(relay):
        await eventually(lambda: _all_published(pg_db))
    events = await read_topic(own_broker.bootstrap_servers, expect=1000)
    assert len(events) == 1000
    assert len({e.id for e in events}) == 1000
    assert_ordered_per_key(events)


async def test_two_relays_share_the_slots_and_keep_per_key_order(pg_db: Database, own_broker: TansuBroker) -> None:
    await create_topics(own_broker.bootstrap_servers)
    dsn, factory = asyncpg_dsn(pg_db.url), producer_factory(own_broker.bootstrap_servers)
    first = OutboxRelay(dsn=dsn, producer_factory=factory, batch_size=100, rebalance_interval=0.2, name="r1")
    second = OutboxRelay(dsn=dsn, producer_factory=factory, batch_size=100, rebalance_interval=0.2, name="r2")
    async with running(first), running(second):
        await eventually(lambda: _async(len(first.owned) == 8 and len(second.owned) == 8), timeout=20,
                         message="slots split 8/8")
        assert first.owned.isdisjoint(second.owned)
        await write_events(pg_db, keys=50, per_key=60)
        await eventually(lambda: _all_published(pg_db))
    assert first.published_total > 0 and second.published_total > 0
    events = await read_topic(own_broker.bootstrap_servers, expect=3000)
    assert len({e.id for e in events}) == 3000
    assert_ordered_per_key(events)


async def test_relay_taking_over_from_a_stopped_one_loses_nothing(pg_db: Database, own_broker: TansuBroker) -> None:
    await create_topics(own_broker.bootstrap_servers)
    acks = AckLog(own_broker.bootstrap_servers)
    dsn, factory = asyncpg_dsn(pg_db.url), acks.factory()
    first = OutboxRelay(dsn=dsn, producer_factory=factory, batch_size=50, rebalance_interval=0.2, name="r1")
    second = OutboxRelay(dsn=dsn, producer_factory=factory, batch_size=50, rebalance_interval=0.2, name="r2")
    async with running(second):
        async with running(first):
            await eventually(lambda: _async(len(first.owned) == 8 and len(second.owned) == 8), timeout=20)
            writer = asyncio.create_task(write_events(pg_db, keys=40, per_key=50))
            await eventually(lambda: _async(first.published_total > 0))
        await writer
        await eventually(lambda: _async(len(second.owned) == 16), timeout=20, message="survivor takes all slots")
        await eventually(lambda: _all_published(pg_db))
    events = await read_topic(own_broker.bootstrap_servers, expect=2000)
    missing = await not_on_topic(pg_db, events)
    assert not missing, "published, not read:\n" + "\n".join(await acks.explain(missing[:20]))
    assert len({e.id for e in events}) == 2000
    assert_ordered_per_key(events)


async def test_relay_killed_mid_batch_duplicates_are_absorbed_and_nothing_is_lost(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_receipts_table(pg_db)
    total = 6_000
    await write_events(pg_db, keys=200, per_key=total // 200)
    script = Path(__file__).with_name("relay_process.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    victim = subprocess.Popen([sys.executable, str(script), asyncpg_dsn(pg_db.url), bootstrap, "1000"], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(victim.stdout.readline), 60)
        assert line.startswith("sent-not-marked"), line
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    on_broker_at_kill = await _records_on_broker(bootstrap)
    marked_at_kill = total - await unpublished(pg_db)
    assert (on_broker_at_kill, marked_at_kill) == (2000, 1000), "killed with its second batch sent, not marked"

    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=producer_factory(bootstrap))
    async with running(relay), consumer(pg_db, bootstrap, {InvoiceIssued: record_receipt}) as c:
        await eventually(lambda: _all_published(pg_db))
        await eventually(lambda: _async(c.stats.processed == total), message=f"processed {c.stats.processed}")
        await eventually(lambda: _async(c.stats.processed + c.stats.duplicates == total + 1000))
    assert c.stats.duplicates == 1000  # the second batch went out twice; the inbox absorbed the copies
    assert c.stats.dead_lettered == 0
    async with pg_db.unit_of_work() as s:
        receipts = (await s.execute(text("SELECT count(*), count(DISTINCT (invoice_id, seq)) FROM receipts"))).one()
    assert tuple(receipts) == (total, total)


async def _async(value: object) -> object:
    return value


async def _all_published(db: Database) -> bool:
    return await unpublished(db) == 0


async def _records_on_broker(bootstrap: str) -> int:
    """Records actually readable on the topic (Tansu under-reports end offsets, so count by reading)."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    count, quiet = 0, 0
    try:
        while quiet < 2:
            batch = await consumer.getmany(timeout_ms=150, max_records=10_000)
            quiet = 0 if batch else quiet + 1
            count += sum(len(records) for records in batch.values())
    finally:
        await consumer.stop()
    return count
