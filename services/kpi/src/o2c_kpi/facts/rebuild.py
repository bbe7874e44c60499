"""Rebuild of the read models from the topics (``o2c kpi rebuild``), one projection (a consumer group, its handlers
and the tables only it writes) at a time: empty its read models and its inbox rows in one transaction, then let
the service's own consumer (same handlers, same batches) read every topic from its first offset under a fresh
consumer group, until it has read every record there at the start. The result equals what the live consumer
built, because the facts do not depend on arrival order and each event counts once.

The inbox rows the rebuild wrote are then handed to the projection's group, so when the service starts again
from that group's committed offsets, the events the rebuild already read are skipped as duplicates.
The kpi service's consumers must not run during a rebuild (stop the service, or run it with
``KPI_RUN_WORKERS=false``): they would count the events they read a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer

from o2c_common.inbox import EventConsumer
from o2c_common.inbox.handlers import Handlers
from o2c_common.kafka import dead_letter_topic, ensure_topics, make_producer, security_options
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions
from o2c_kpi.facts import repository
from o2c_kpi.facts.handlers import HANDLERS
from o2c_kpi.facts.repository import READ_MODELS

GROUP_ID = "kpi"
ACTOR = "system:kpi-rebuild"
READER_PREFIX = "kpi-rebuild-"  # the rebuild's groups and dead-letter topics: the operator's Kafka ACLs are by prefix
QUIET_S = 2.0
__all__ = ["FACTS", "GROUP_ID", "READ_MODELS", "Projection", "RebuildResult", "clear_read_models", "rebuild"]


@dataclass(frozen=True)
class Projection:
    """What a rebuild replays: the consumer group, its handlers and the read models only its events write."""

    group_id: str
    handlers: Handlers
    read_models: tuple[str, ...]


FACTS = Projection(group_id=GROUP_ID, handlers=HANDLERS, read_models=READ_MODELS)


@dataclass
class RebuildResult:
    records: int  # records read
    processed: int
    ignored: int  # events no KPI reads
    dead_lettered: int
    seconds: float


async def clear_read_models(transactions: Transactions, projection: Projection = FACTS) -> None:
    async with transactions.begin(ACTOR) as tx:
        await repository.clear_read_models(tx.session, group_id=projection.group_id, tables=projection.read_models)


async def partitions_of(bootstrap: str, topics: Sequence[str], client_options: dict[str, Any] | None = None) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **(client_options or {}))
    await consumer.start()
    try:
        await consumer.topics()  # metadata of every topic
        return sum(len(consumer.partitions_for_topic(t) or ()) for t in topics)
    finally:
        await consumer.stop()


async def rebuild(*, transactions: Transactions, settings: ServiceSettings, topics: Sequence[str],
                  projection: Projection = FACTS, timeout_s: float = 3600.0,
                  progress: Callable[[int], None] | None = None) -> RebuildResult:
    """Empty the read models and consume ``topics`` from their first offsets (with the consumer the service runs)
    until it has caught up: every partition's position at its end offset and nothing read for ``QUIET_S``.
    (End offsets, not record counts: Tansu numbers offsets per produced batch, not per record.)"""
    started = time.monotonic()
    group_id = projection.group_id
    reader = f"{READER_PREFIX}{group_id}-{uuid.uuid4().hex[:8]}"
    security = security_options(settings)
    await ensure_topics(settings.kafka_bootstrap_servers, [*topics, dead_letter_topic(reader)],
                        partitions=settings.kafka_topic_partitions,
                        replication_factor=settings.kafka_replication_factor, client_options=security)
    await clear_read_models(transactions, projection)
    partitions = await partitions_of(settings.kafka_bootstrap_servers, topics, security)
    dlq = make_producer(settings, client_id=f"{reader}-dlq")
    await dlq.start()
    consumer = EventConsumer(group_id=reader, topics=list(topics), handlers=projection.handlers,
                             transactions=transactions, bootstrap_servers=settings.kafka_bootstrap_servers,
                             dlq_producer=dlq, max_attempts=settings.consumer_max_attempts,
                             retry_backoff=settings.consumer_retry_backoff_s, batch_size=settings.consumer_batch_size,
                             session_timeout_ms=settings.consumer_session_timeout_ms, client_options=security)
    task = asyncio.create_task(consumer.run())

    def read() -> int:
        s = consumer.stats
        return s.processed + s.duplicates + s.ignored + s.dead_lettered

    try:
        async with asyncio.timeout(timeout_s):
            last, quiet_since = -1, time.monotonic()
            while True:
                await asyncio.sleep(0.1)
                now, count = time.monotonic(), read()
                if count != last:
                    last, quiet_since = count, now
                    if progress is not None:
                        progress(count)
                lag = consumer.stats.lag
                if (len(lag) >= partitions and not any(lag.values()) and now - quiet_since >= QUIET_S):
                    break
    finally:
        consumer.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await dlq.stop()
    async with transactions.begin(ACTOR) as tx:  # the live consumer skips what the rebuild read
        await repository.hand_over_inbox(tx.session, reader=reader, group_id=group_id)
    s = consumer.stats
    return RebuildResult(records=read(), processed=s.processed, ignored=s.ignored, dead_lettered=s.dead_lettered,
                         seconds=time.monotonic() - started)
