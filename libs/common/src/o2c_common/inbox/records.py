"""What the consumer reads from a Kafka record before (or instead of) decoding it: routing headers, the inbox id of
an undecodable record, the dead letter's header encoding."""

from __future__ import annotations

import base64
import uuid

from aiokafka.structs import ConsumerRecord

from o2c_common.events.base import TOPICS
from o2c_common.events.envelope import HISTORY_HEADER, Event
from o2c_common.kafka.client import REPLAY_HEADER
from o2c_common.kafka.dead_letters import REPLAY_GROUP_HEADER

REPLAY_HEADERS = (REPLAY_HEADER, REPLAY_GROUP_HEADER)


def is_replay(record: ConsumerRecord) -> bool:
    return any(key == REPLAY_HEADER for key, _ in record.headers or ())


TOPIC_OWNERS = {topic: producer for producer, topic in TOPICS.items()}


def forgery(event: Event, topic: str) -> str | None:
    """Why the event is not its producer's, or None: its ``ce_source`` must be the producer of its type, and a
    service's topic carries only that service's types (the broker's ACLs say who may write a topic, not which
    ``ce_source`` the writer puts in a header). A topic that is no service's (a test's) is not judged by name."""
    payload = type(event.data)
    if event.source != payload.expected_source():
        return f"ce_source {event.source!r} is not {payload.expected_source()!r}, the producer of {event.type}"
    owner = TOPIC_OWNERS.get(topic)
    if owner is not None and owner != payload.producer:
        return f"{event.type} is published by {payload.producer}, not on {owner}'s topic {topic}"
    return None


def routing(record: ConsumerRecord) -> tuple[str | None, str | None, bool, bool]:
    """The headers that route a record, in one pass: (``o2c_replay_group``, ``ce_type``, is a replay, is imported
    history); the first of each name counts, as in :func:`header`."""
    target: str | None = None
    ce_type: str | None = None
    replay = history = False
    for key, value in record.headers or ():
        if key == "ce_type":
            if ce_type is None:
                ce_type = bytes(value).decode(errors="replace") if value is not None else ""
        elif key == REPLAY_GROUP_HEADER:
            if target is None:
                target = bytes(value).decode(errors="replace") if value is not None else ""
        elif key == REPLAY_HEADER:
            replay = True
        elif key == HISTORY_HEADER:
            history = True
    return target, ce_type, replay, history


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode(errors="replace") if value is not None else ""
    return None


def type_of(record: ConsumerRecord) -> str:
    return (header(record, "ce_type") or "unknown")[:200]


def b64(value: bytes | None) -> str:
    """Header bytes as base64 text, so that any value (a NUL byte, invalid UTF-8) survives the JSON column."""
    return base64.b64encode(bytes(value or b"")).decode()


def fallback_id(record: ConsumerRecord) -> uuid.UUID:
    """The inbox id of a record that could not be decoded: its position, never its ``ce_id`` header, which a
    corrupt copy may share with the real event (claiming it would make the real one a duplicate); a bundle's member
    adds its index in the bundle (``checksum``, ``o2c_common.events.bundle.unbundle``)."""
    member = "" if record.checksum is None else f"#{record.checksum}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"kafka:{record.topic}/{record.partition}/{record.offset}{member}")
