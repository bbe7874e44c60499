"""A service's background workers: the outbox relay, its event consumers and the retention purge.

Degrade, don't die: :meth:`Workers.start` never waits for the broker. The relay, the topic set-up and the
consumers each retry in their own task until the broker answers, so the service serves HTTP while the broker is
down; readiness reports the broker (``broker_problem``) and turns ready once they are connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from o2c_common.db.database import asyncpg_dsn
from o2c_common.events.base import TOPICS
from o2c_common.inbox import EventConsumer, Handlers, topics_of
from o2c_common.kafka import dead_letter_topic, ensure_topics, make_producer, security_options
from o2c_common.outbox import OutboxRelay
from o2c_common.outbox.retention import Retention, purge_once
from o2c_common.periodic import PeriodicStep, PeriodicTasks, stop_tasks
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions

log = logging.getLogger(__name__)

CONNECT_MAX_BACKOFF_S = 10.0


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group: its name (the Kafka group id) and its handlers, or its lanes (name and handlers each: readers
    of the same fetches, ``o2c_common.inbox.lane``); it reads the topics they are published on."""

    group_id: str
    handlers: Handlers | None = None
    lanes: tuple[tuple[str, Handlers], ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted({topic for _, handlers in self.readers for topic in topics_of(handlers)}))

    @property
    def readers(self) -> tuple[tuple[str, Handlers], ...]:
        """Each lane's name (its inbox rows and dead letters) and handlers; without lanes, one named as the group."""
        return ((self.group_id, self.handlers),) if self.handlers is not None else self.lanes


@dataclass
class ConsumerCallbacks:
    """Metric hooks (``app.py`` wires them to :class:`o2c_common.observability.Metrics`)."""

    on_published: Callable[[str, str, int], None] | None = None
    on_consumed: Callable[[str, str, int], None] | None = None
    on_dead_letter: Callable[[str], None] | None = None
    on_skipped: Callable[[str, str, int], None] | None = None
    on_refused: Callable[[str, str], None] | None = None


class Workers:
    def __init__(
        self,
        *,
        settings: ServiceSettings,
        transactions: Transactions,
        consumers: list[ConsumerSpec],
        on_published: Callable[[str, str, int], None] | None = None,
        on_consumed: Callable[[str, str, int], None] | None = None,
        on_dead_letter: Callable[[str], None] | None = None,
        on_skipped: Callable[[str, str, int], None] | None = None,
        on_refused: Callable[[str, str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.transactions = transactions
        self.specs = consumers
        self.callbacks = ConsumerCallbacks(on_published, on_consumed, on_dead_letter, on_skipped, on_refused)
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []
        self.retention = PeriodicTasks([PeriodicStep(
            "retention", settings.retention_interval_s, self._purge)])
        self._dlq_producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._consumers_started = not consumers
        self.broker_error: str | None = None
        self.broker_down_since: float | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Starts every worker in the background and returns at once, broker or not."""
        s = self.settings
        self.relay = OutboxRelay(
            dsn=asyncpg_dsn(s.database_url),
            producer_factory=lambda: make_producer(s, client_id=f"{s.service_name}-relay"),
            slots=s.outbox_slots, batch_size=s.outbox_batch_size, poll_interval=s.outbox_poll_interval_s,
            idle_poll_interval=s.outbox_idle_poll_interval_s,
            max_backoff=s.outbox_retry_max_backoff_s, on_published=self.callbacks.on_published,
            prepare=self._create_topics, name=s.service_name,
        )
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{s.service_name}-relay"))
        if self.specs:
            # The consumers exist at once (tests and metrics look them up); they run once the broker answers.
            self._dlq_producer = make_producer(s, client_id=f"{s.service_name}-dlq")
            self.consumers = [self._consumer(spec, self._dlq_producer) for spec in self.specs]
            self._tasks.append(asyncio.create_task(self._start_consumers(), name=f"{s.service_name}-consumers"))
        self.retention.start()

    async def _create_topics(self) -> None:
        s = self.settings
        if s.kafka_create_topics:
            topics = [*TOPICS.values(), *(dead_letter_topic(name) for spec in self.specs for name, _ in spec.readers)]
            await ensure_topics(s.kafka_bootstrap_servers, topics, partitions=s.kafka_topic_partitions,
                                replication_factor=s.kafka_replication_factor, client_options=security_options(s))

    async def _start_consumers(self) -> None:
        """Topics and the dead-letter producer first (retried until the broker answers), then one task per group."""
        backoff = 0.2
        assert self._dlq_producer is not None
        while True:
            try:
                await self._create_topics()
                await self._dlq_producer.start()
                break
            except Exception as exc:  # broker down: keep serving HTTP, try again
                self._broker_failed(exc)
                with contextlib.suppress(Exception):
                    await self._dlq_producer.stop()
                self._dlq_producer = make_producer(self.settings, client_id=f"{self.settings.service_name}-dlq")
                for consumer in self.consumers:
                    consumer.use_dlq_producer(self._dlq_producer)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                if self._stopping.is_set():
                    return
                backoff = min(backoff * 2, CONNECT_MAX_BACKOFF_S)
        self._tasks.extend(asyncio.create_task(c.run(), name=c.group_id) for c in self.consumers)
        self._consumers_started = True

    def _consumer(self, spec: ConsumerSpec, producer: AIOKafkaProducer) -> EventConsumer:
        s, cb = self.settings, self.callbacks
        return EventConsumer(
            group_id=spec.group_id, topics=list(spec.topics), lanes=spec.readers, transactions=self.transactions,
            bootstrap_servers=s.kafka_bootstrap_servers, dlq_producer=producer,
            max_attempts=s.consumer_max_attempts, retry_backoff=s.consumer_retry_backoff_s,
            batch_size=s.consumer_batch_size, fetch_max_wait_ms=s.consumer_fetch_max_wait_ms,
            idle_fetch_max_wait_ms=s.consumer_idle_fetch_max_wait_ms, idle_after_s=s.consumer_idle_after_s,
            session_timeout_ms=s.consumer_session_timeout_ms,
            offset_commit_interval_s=s.consumer_offset_commit_interval_s,
            on_dead_letter=cb.on_dead_letter, on_consumed=cb.on_consumed,
            on_skipped=cb.on_skipped, on_refused=cb.on_refused,
        )

    def _broker_failed(self, exc: Exception) -> None:
        if self.broker_down_since is None:
            self.broker_down_since = time.monotonic()
            log.warning("broker unreachable (%s: %s); serving HTTP, connecting in the background",
                        type(exc).__name__, exc)
        self.broker_error = f"{type(exc).__name__}: {exc}"[:300]

    async def _purge(self) -> int:
        s = self.settings
        return await purge_once(self.transactions.db, Retention(s.outbox_retention_days, s.inbox_retention_days))

    def broker_problem(self) -> str | None:
        """Why this instance is not connected to the broker, or None when relay and consumers are connected."""
        relay_ok = self.relay is not None and self.relay.connected
        consumers_ok = self._consumers_started and all(c.running for c in self.consumers)
        if relay_ok and consumers_ok:
            self.broker_down_since = None
            return None
        parts = [name for name, ok in (("outbox relay", relay_ok), ("consumers", consumers_ok)) if not ok]
        detail = f" (last error: {self.broker_error})" if self.broker_error else ""
        return f"{' and '.join(parts)} not connected to the broker{detail}"

    def consumers_running(self) -> bool:
        return self.broker_problem() is None and not self.crashed()

    def crashed(self) -> list[str]:
        """Worker tasks that ended although nobody stopped them (a bug, not an outage: outages are retried)."""
        starter = f"{self.settings.service_name}-consumers"
        return [t.get_name() for t in self._tasks if t.done() and t.get_name() != starter]

    async def stop(self) -> None:
        self._stopping.set()
        if self.relay is not None:
            self.relay.stop()
        for consumer in self.consumers:
            consumer.stop()
        await self.retention.stop()
        await stop_tasks(self._tasks)
        if self._dlq_producer is not None:
            with contextlib.suppress(Exception):
                await self._dlq_producer.stop()

