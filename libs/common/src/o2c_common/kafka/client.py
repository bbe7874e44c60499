from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from o2c_common.settings import ServiceSettings

REPLAY_HEADER = "o2c_replay"
"""Set on a record re-sent from a dead-letter topic: its consumer may claim the dead-lettered id again."""
DLQ_HEADERS = ("dlq_reason", "dlq_error", "dlq_consumer", "dlq_origin")
"""Headers a dead letter carries besides the original record's."""

log = logging.getLogger(__name__)

DLQ_PREFIX = "o2c.dlq."


def dead_letter_topic(consumer_group: str) -> str:
    return f"{DLQ_PREFIX}{consumer_group}"


def make_producer(settings: ServiceSettings, *, client_id: str | None = None) -> AIOKafkaProducer:
    """A producer acked by all in-sync replicas; idempotence only where the broker supports it."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id or settings.kafka_client_id or settings.service_name,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[str], *, partitions: int, replication_factor: int
) -> list[str]:
    """Create the topics that do not exist yet; returns those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in dict.fromkeys(topics) if t not in existing]
        if wanted:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=replication_factor) for t in wanted]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently: %s", wanted)
        return wanted
    finally:
        await admin.close()
