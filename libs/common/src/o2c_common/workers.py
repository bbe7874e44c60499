"""A service's background workers: the outbox relay and its event consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from o2c_common.db.database import asyncpg_dsn
from o2c_common.events.base import TOPICS
from o2c_common.inbox import EventConsumer, Handlers
from o2c_common.kafka import dead_letter_topic, ensure_topics, make_producer
from o2c_common.outbox import OutboxRelay
from o2c_common.periodic import stop_tasks
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group: its name (the Kafka group id), the topics it reads and its handlers."""

    group_id: str
    topics: tuple[str, ...]
    handlers: Handlers


class Workers:
    def __init__(
        self,
        *,
        settings: ServiceSettings,
        transactions: Transactions,
        consumers: list[ConsumerSpec],
        on_published: Callable[[str, str, int], None] | None = None,
        on_consumed: Callable[[str, str], None] | None = None,
        on_dead_letter: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.transactions = transactions
        self.specs = consumers
        self._on_published = on_published
        self._on_dead_letter = on_dead_letter
        self._on_consumed = on_consumed
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []
        self._dlq_producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        s = self.settings
        topics = [*TOPICS.values(), *(dead_letter_topic(spec.group_id) for spec in self.specs)]

        async def create_topics() -> None:
            if s.kafka_create_topics:
                await ensure_topics(s.kafka_bootstrap_servers, topics, partitions=s.kafka_topic_partitions,
                                    replication_factor=s.kafka_replication_factor)

        await create_topics()
        self.relay = OutboxRelay(
            dsn=asyncpg_dsn(s.database_url),
            producer_factory=lambda: make_producer(s, client_id=f"{s.service_name}-relay"),
            slots=s.outbox_slots, batch_size=s.outbox_batch_size, poll_interval=s.outbox_poll_interval_s,
            max_backoff=s.outbox_retry_max_backoff_s, on_published=self._on_published, prepare=create_topics,
            name=s.service_name,
        )
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{s.service_name}-relay"))
        if self.specs:
            self._dlq_producer = make_producer(s, client_id=f"{s.service_name}-dlq")
            await self._dlq_producer.start()
        for spec in self.specs:
            consumer = EventConsumer(
                group_id=spec.group_id, topics=list(spec.topics), handlers=spec.handlers,
                transactions=self.transactions,
                bootstrap_servers=s.kafka_bootstrap_servers, dlq_producer=self._dlq_producer,
                max_attempts=s.consumer_max_attempts, retry_backoff=s.consumer_retry_backoff_s,
                batch_size=s.consumer_batch_size, fetch_max_wait_ms=s.consumer_fetch_max_wait_ms,
                on_dead_letter=self._on_dead_letter,
                on_consumed=self._on_consumed,
            )
            self.consumers.append(consumer)
            self._tasks.append(asyncio.create_task(consumer.run(), name=spec.group_id))

    def consumers_running(self) -> bool:
        return all(c.running for c in self.consumers) and all(not t.done() for t in self._tasks)

    async def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        for consumer in self.consumers:
            consumer.stop()
        await stop_tasks(self._tasks)
        if self._dlq_producer is not None:
            with contextlib.suppress(Exception):
                await self._dlq_producer.stop()
