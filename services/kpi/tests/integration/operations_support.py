"""Getting events into the ``kpi-operations`` read models the way production does: published to the session's
broker, read by the real EventConsumer with the group's handlers (a group id of the test's own, so it reads the
topics from their start), until the test's own facts are visible."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS
from o2c_common.db import Database
from o2c_common.events import TOPICS, Event
from o2c_common.inbox import EventConsumer
from o2c_common.kafka import ensure_topics
from o2c_common.tx import Transactions
from o2c_kpi.operations import service
from o2c_kpi.operations.handlers import HANDLERS
from o2c_kpi.operations.schemas import OperationsRead
from services.kpi.tests.integration.conftest import produce


def transactions(db: Database) -> Transactions:
    return Transactions(db=db, source="/o2c/kpi")


async def through_broker(db: Database, bootstrap: str, events: Sequence[Event],
                         ready: Callable[[], Awaitable[bool]]) -> EventConsumer:
    """Publish ``events`` and run the group's consumer until ``ready()`` (the test's facts are in)."""
    group = f"kpi-operations-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [*TOPICS.values(), f"o2c.dlq.{group}"], partitions=6, replication_factor=1)
    await produce(bootstrap, events)
    dlq = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await dlq.start()
    consumer = EventConsumer(group_id=group, topics=sorted(TOPICS.values()), handlers=HANDLERS,
                             transactions=transactions(db), bootstrap_servers=bootstrap, dlq_producer=dlq,
                             session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS)
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(120):
            while not await ready():  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        consumer.stop()
        await task
        await dlq.stop()
    return consumer


async def handle(db: Database, events: Sequence[Event]) -> None:
    """The group's handlers over ``events`` in one transaction (the consumer's fast path, without the broker)."""
    async with transactions(db).begin("system:kpi-operations") as tx:
        for event in events:
            await HANDLERS[type(event.data)](tx, event)


async def review(db: Database, *, start: date, end: date, previous_start: date, previous_end: date,
                 team: str | None = None) -> OperationsRead:
    async with transactions(db).begin("system:test") as tx:
        return await service.review_operations(tx, start=start, end=end, previous_start=previous_start,
                                               previous_end=previous_end, team=team)


def by_key(items: Sequence[Any], attribute: str) -> dict[Any, Any]:
    return {getattr(item, attribute): item for item in items}
