"""Listing and replaying a consumer group's dead letters (the `o2c dlq` commands)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c_common.kafka.client import DLQ_HEADERS, REPLAY_HEADER, dead_letter_topic, read_from_start

REPLAY_GROUP_HEADER = "o2c_replay_group"
"""Set on a replayed dead letter: the one consumer group it is for; every other group on the topic skips it."""

QUIET_POLLS = 3
QUIET_POLL_MS = 300


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    reason: str
    error: str
    origin: str
    event_type: str
    event_id: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def origin_topic(self) -> str:
        return self.origin.rsplit("/", 2)[0]


async def list_dead_letters(bootstrap: str, *, group: str, limit: int = 1000,
                            client_options: dict[str, Any] | None = None) -> list[DeadLetter]:
    """Every dead letter of ``group`` (oldest first), read without joining any consumer group.
    ``client_options``: the connection's security (o2c_common.kafka.security_options)."""
    topic = dead_letter_topic(group)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest",
                                **(client_options or {}))
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        if not partitions:
            return []
        await read_from_start(consumer, partitions)
        # Read until the topic stays quiet: some brokers (Tansu) under-report end offsets, so they are not trusted.
        out: list[DeadLetter] = []
        quiet_polls = 0
        while len(out) < limit and quiet_polls < QUIET_POLLS:
            batch = await consumer.getmany(timeout_ms=QUIET_POLL_MS)
            quiet_polls = 0 if batch else quiet_polls + 1
            for records in batch.values():
                out.extend(_dead_letter(r) for r in records)
        return sorted(out, key=lambda d: (d.partition, d.offset))[:limit]
    finally:
        await consumer.stop()


async def replay_dead_letters(bootstrap: str, letters: Iterable[DeadLetter], *, group: str,
                              client_options: dict[str, Any] | None = None) -> int:
    """Publish each letter again to its origin topic, marked as a replay for ``group`` only: that group may retry
    it, the other groups reading the topic skip it (they handled the original already)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all",
                                **(client_options or {}))
    await producer.start()
    sent = 0
    try:
        for letter in letters:
            headers = [(k, v) for k, v in letter.headers
                       if k not in DLQ_HEADERS and k not in (REPLAY_HEADER, REPLAY_GROUP_HEADER)]
            headers.append((REPLAY_HEADER, str(uuid.uuid4()).encode()))
            headers.append((REPLAY_GROUP_HEADER, group.encode()))
            await producer.send_and_wait(letter.origin_topic, letter.value, key=letter.key, headers=headers)
            sent += 1
    finally:
        await producer.stop()
    return sent


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    if topic not in await consumer.topics():
        return set()
    return consumer.partitions_for_topic(topic) or set()


def _dead_letter(record: object) -> DeadLetter:
    headers = tuple((k, v) for k, v in getattr(record, "headers", ()) or ())
    h = {k: v.decode(errors="replace") for k, v in headers}
    return DeadLetter(
        partition=getattr(record, "partition", 0), offset=getattr(record, "offset", 0),
        reason=h.get("dlq_reason", ""), error=h.get("dlq_error", ""), origin=h.get("dlq_origin", ""),
        event_type=h.get("ce_type", ""), event_id=h.get("ce_id", ""), key=getattr(record, "key", None),
        value=getattr(record, "value", None), headers=headers,
    )


_STORED = text(
    "SELECT id, event_type, event_id::text, reason, error, topic, partition, \"offset\", key, value, headers "
    "FROM dead_letters WHERE consumer = :group ORDER BY id LIMIT :limit")
_MARK_REPLAYED = text("UPDATE dead_letters SET replayed_at = now() WHERE consumer = :group AND id = ANY(:ids)")


async def stored_dead_letters(conn: AsyncConnection, *, group: str, limit: int = 1000) -> list[DeadLetter]:
    """The group's dead letters as kept in the consuming service's database (they outlive a broker that lost the
    dead-letter topic). ``offset`` is the row id, ``partition`` -1."""
    rows = (await conn.execute(_STORED, {"group": group, "limit": limit})).all()
    return [DeadLetter(
        partition=-1, offset=int(r.id), reason=r.reason, error=r.error, origin=f"{r.topic}/{r.partition}/{r.offset}",
        event_type=r.event_type, event_id=r.event_id, key=r.key, value=r.value,
        headers=tuple((name, base64.b64decode(value)) for name, value in r.headers),
    ) for r in rows]


async def mark_replayed(conn: AsyncConnection, *, group: str, ids: list[int]) -> None:
    await conn.execute(_MARK_REPLAYED, {"group": group, "ids": ids})
