"""Quiet at rest (issue 16): an idle consumer long-polls and an idle relay polls its outbox seldom, and both still
take the next event as soon as it comes (the consumer with the short fetch wait again, the relay woken by NOTIFY)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import insert, text

from libs.common.tests.integration.test_batch_consumer import issued, publish
from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.db.plumbing import outbox_table
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.inbox import EventConsumer
from o2c_common.kafka import ensure_topics, make_producer
from o2c_common.outbox import OutboxRelay
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions, Tx

pytestmark = pytest.mark.integration


async def until(probe: Callable[[], bool], what: object, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not probe():
        assert asyncio.get_running_loop().time() < deadline, f"not reached: {what}"
        await asyncio.sleep(0.02)


async def test_an_idle_consumer_long_polls_and_still_takes_the_next_event(pg_db: Database, infra: Infra) -> None:
    topic, seen = f"h16b.quiet.{uuid.uuid4().hex[:8]}", []
    await ensure_topics(infra.kafka_bootstrap, [topic], partitions=1, replication_factor=1)

    async def on_invoice_issued_note(tx: Tx, event: Event) -> None:
        seen.append(event.id)

    dlq = make_producer(ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap, service_name="h16b-dlq"))
    await dlq.start()
    consumer = EventConsumer(group_id="h16b-quiet", topics=[topic], handlers={InvoiceIssued: on_invoice_issued_note},
                             transactions=Transactions(db=pg_db, source="/o2c/test"),
                             bootstrap_servers=infra.kafka_bootstrap, dlq_producer=dlq, fetch_max_wait_ms=25,
                             idle_fetch_max_wait_ms=400, idle_after_s=0.3,
                             session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS)
    task = asyncio.create_task(consumer.run())
    try:
        await until(lambda: consumer.fetch_wait_ms == 400, consumer.stats)
        fetcher = consumer._consumer._fetcher  # type: ignore[union-attr]
        assert fetcher._fetch_max_wait_ms == 400  # aiokafka builds its fetch requests with the long wait
        assert consumer.stats.idle_periods == 1

        event = issued(1)
        await publish(infra.kafka_bootstrap, topic, [event])
        await until(lambda: seen == [event.id], consumer.stats)  # taken although the group was long-polling
        await until(lambda: consumer.stats.idle_periods == 2, consumer.stats)  # short while it flowed, long again
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await dlq.stop()


async def test_an_idle_relay_backs_off_and_an_insert_wakes_it(pg_db: Database, infra: Infra) -> None:
    topic = f"h16b.quiet-relay.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic], partitions=1, replication_factor=1)
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap, service_name="h16b-relay")
    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=lambda: make_producer(settings),
                        poll_interval=0.05, idle_poll_interval=0.4)
    task = asyncio.create_task(relay.run())
    try:
        await until(lambda: relay.wait_s == 0.4, relay.wait_s)  # 0.05 doubled on each empty poll, up to 0.4
        event = issued(1)
        async with pg_db.unit_of_work() as s:
            await s.execute(insert(outbox_table).values(
                event_id=event.id, topic=topic, key=event.key, slot=0, event_type=event.type,
                headers=[[k, v.decode()] for k, v in event.headers()], payload=event.value()))
        await until(lambda: relay.published_total == 1, relay.published_total)
        async with pg_db.unit_of_work() as s:
            left = (await s.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one()
        assert left == 0
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
