from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from o2c_common.settings import ServiceSettings

REPLAY_HEADER = "o2c_replay"
"""Set on a record re-sent from a dead-letter topic: its consumer may claim the dead-lettered id again."""
DLQ_HEADERS = ("dlq_reason", "dlq_error", "dlq_consumer", "dlq_origin")
"""Headers a dead letter carries besides the original record's."""

log = logging.getLogger(__name__)

DLQ_PREFIX = "o2c.dlq."


def dead_letter_topic(consumer_group: str) -> str:
    return f"{DLQ_PREFIX}{consumer_group}"


def security_options(settings: ServiceSettings) -> dict[str, Any]:
    """The connection's security for every aiokafka client (producer, consumer, admin): nothing for PLAINTEXT;
    TLS checked against ``kafka_ssl_cafile`` (else the system's CAs) and SASL SCRAM with the service's own user."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise ValueError(f"kafka_security_protocol={protocol} needs kafka_sasl_username and kafka_sasl_password")
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism, sasl_plain_username=settings.kafka_sasl_username,
                       sasl_plain_password=settings.kafka_sasl_password.get_secret_value())
    return options


async def read_from_start(consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition]) -> None:
    """Assign ``partitions`` to a started group-less consumer created with ``auto_offset_reset="earliest"`` and
    position each at offset 0.

    Offset 0, not the log start the broker reports: Tansu (memory storage) has answered a log start past records it
    still serves after two producers wrote one partition at once (the relay tests then missed offsets 0 to 10 of a
    partition). Where a broker's log really starts later, offset 0 is out of range and the consumer moves to the log
    start by itself, as ``earliest`` says; hence that setting is required.

    Not ``seek_to_beginning``: aiokafka (0.14) resets a freshly assigned partition to ``auto_offset_reset`` in the
    background, and if that answer arrives after the seek's request it wins (with ``latest``, the records before the
    end offset were never read). An explicit ``seek`` leaves no reset pending for a late answer to complete."""
    if getattr(consumer, "_auto_offset_reset", "earliest") != "earliest":
        raise ValueError("read_from_start needs a consumer created with auto_offset_reset='earliest'")
    partitions = list(partitions)
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, 0)


def make_producer(settings: ServiceSettings, *, client_id: str | None = None) -> AIOKafkaProducer:
    """A producer acked by all in-sync replicas; idempotence only where the broker supports it."""
    return AIOKafkaProducer(
        **security_options(settings),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id or settings.kafka_client_id or settings.service_name,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=2,
        compression_type=None if settings.kafka_compression_type == "none" else settings.kafka_compression_type,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[str], *, partitions: int, replication_factor: int,
    client_options: dict[str, Any] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; returns those created. ``client_options``: security_options()."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15000,
                                **(client_options or {}))
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
