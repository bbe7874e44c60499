"""CloudEvents 1.0 envelope in Kafka binary mode.

Attributes travel as ``ce_*`` headers, the JSON payload is the record value and the record key is
the aggregate id. ``content-type`` carries ``datacontenttype`` as the Kafka binding requires.
"""

from __future__ import annotations

import contextlib
import os
import time as clock
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring as _quoted  # a JSON string literal (C)
from typing import Any, Generic, TypeVar

from asyncpg.pgproto.pgproto import UUID as PgUUID
from pydantic import ValidationError

from o2c_common.events.base import REGISTRY, EventPayload
from o2c_common.events.types import CANONICAL_READING, VALIDATED_READING

P = TypeVar("P", bound=EventPayload, covariant=True)
Q = TypeVar("Q", bound=EventPayload)

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = list[tuple[str, bytes]]

REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")
HISTORY_HEADER = "o2c_history"
"""Present (``1``) on the event of a fact of imported history (``EventPayload.imported_history``): a group whose
handlers act on today's work only skips it by this header, unread (``Batched(..., history=False)``)."""
KNOWN_HEADERS = frozenset({*REQUIRED_HEADERS, "ce_subject", "content-type", "ce_correlationid", "ce_traceparent",
                           HISTORY_HEADER})
"""Headers this envelope reads and writes itself; ``extra_headers`` may not use these names."""
_REQUIRED = frozenset(REQUIRED_HEADERS)
_uuid = PgUUID
"""A ``uuid.UUID`` read from its 32 hex digits (hyphens optional) in C: asyncpg's, the type it returns for every uuid
column, a fifth of ``uuid.UUID``'s parsing time; no braces or ``urn:`` (event ids are written plain)."""


class EventDecodeError(ValueError):
    """A record that is not a valid o2c CloudEvent (goes to the dead-letter topic)."""


def new_event_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits. Event ids minted in
    time order are inserted at the right edge of the outbox's and the inboxes' indexes, not on a random page of
    an index that grows with every event consumed."""
    return new_event_ids(1)[0]


def new_event_ids(count: int) -> list[uuid.UUID]:
    """``count`` :func:`new_event_id` ids of this millisecond, their random bits read in one system call."""
    random = os.urandom(10 * count)
    stamp = (clock.time_ns() // 1_000_000 & (1 << 48) - 1) << 80 | 0x7 << 76 | 0b10 << 62
    ids = []
    for start in range(0, 10 * count, 10):
        rand = int.from_bytes(random[start:start + 10], "big")
        ids.append(uuid.UUID(int=stamp | (rand >> 62 & 0xFFF) << 64 | rand & (1 << 62) - 1))
    return ids


def _utc(time: datetime) -> datetime:
    if time.tzinfo is None or time.utcoffset() is None:
        raise ValueError("event time must be timezone-aware")
    return time.astimezone(UTC)


@dataclass(frozen=True)
class Event(Generic[P]):
    """A CloudEvent carrying one payload type: handlers are typed by it (``event: Event[InvoiceIssued]``)."""

    id: uuid.UUID
    type: str
    source: str
    subject: str
    time: datetime
    data: P
    correlation_id: str | None = None
    traceparent: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.extra_headers:
            return
        clash = sorted(KNOWN_HEADERS & self.extra_headers.keys())
        if clash:
            raise ValueError(f"extra_headers may not override envelope headers: {', '.join(clash)}")

    @classmethod
    def new(
        cls,
        payload: Q,
        *,
        source: str,
        correlation_id: str | None = None,
        traceparent: str | None = None,
        time: datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Event[Q]:
        """Wrap ``payload``; ``time`` (aware, stored as UTC) defaults to now, ``event_id`` to :func:`new_event_id`."""
        return Event(
            id=event_id or new_event_id(),
            type=payload.ce_type(),
            source=source,
            subject=payload.aggregate_id(),
            time=_utc(time) if time is not None else datetime.now(UTC),
            data=payload,
            correlation_id=correlation_id,
            traceparent=traceparent,
        )

    @property
    def key(self) -> str:
        return self.subject

    @property
    def topic(self) -> str:
        return self.data.topic()

    def headers(self) -> Headers:
        return [(k, v.encode()) for k, v in self.header_pairs()]

    def header_pairs(self) -> list[tuple[str, str]]:
        """The headers as text (the outbox stores them so)."""
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": str(self.id),
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat().replace("+00:00", "Z"),
            "content-type": CONTENT_TYPE,
        }
        if self.correlation_id:
            headers["ce_correlationid"] = self.correlation_id
        if self.traceparent:
            headers["ce_traceparent"] = self.traceparent
        if self.data.imported_history():
            headers[HISTORY_HEADER] = "1"
        headers.update(self.extra_headers)
        return list(headers.items())

    def headers_json(self) -> str:
        """:meth:`header_pairs` as the outbox stores them, a JSON list of ``[name, value]`` pairs, written directly
        (a third of ``json.dumps(header_pairs())``'s CPU, which bulk paths spend on every event)."""
        parts = [f'["ce_specversion", "{SPEC_VERSION}"], ["ce_id", "{self.id}"], '
                 f'["ce_source", {_quoted(self.source)}], ["ce_type", {_quoted(self.type)}], '
                 f'["ce_subject", {_quoted(self.subject)}], '
                 f'["ce_time", "{self.time.isoformat().replace("+00:00", "Z")}"], ["content-type", "{CONTENT_TYPE}"]']
        if self.correlation_id:
            parts.append(f'["ce_correlationid", {_quoted(self.correlation_id)}]')
        if self.traceparent:
            parts.append(f'["ce_traceparent", {_quoted(self.traceparent)}]')
        if self.data.imported_history():
            parts.append(f'["{HISTORY_HEADER}", "1"]')
        parts += [f"[{_quoted(name)}, {_quoted(value)}]" for name, value in self.extra_headers.items()]
        return f"[{', '.join(parts)}]"

    def value(self) -> bytes:
        return self.data.model_dump_json().encode()

    @classmethod
    def from_kafka(cls, key: bytes | None, value: bytes | None, headers: Iterable[Any]) -> Event[EventPayload]:
        """Decode a consumed record; anything that is not a valid o2c CloudEvent raises EventDecodeError."""
        return cls.from_headers(value, _decode_headers(headers))

    @classmethod
    def from_headers(cls, value: bytes | None, h: dict[str, str]) -> Event[EventPayload]:
        """:meth:`from_kafka` of a record whose headers were read already (:func:`plain_headers`)."""
        if not _REQUIRED.issubset(h.keys()):
            missing = ", ".join(a for a in REQUIRED_HEADERS if a not in h)
            raise EventDecodeError(f"missing CloudEvents headers: {missing}")
        if h["ce_specversion"] != SPEC_VERSION:
            raise EventDecodeError(f"unsupported specversion {h['ce_specversion']!r}")
        content_type = h.get("content-type", CONTENT_TYPE)
        if content_type != CONTENT_TYPE and content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
            raise EventDecodeError(f"unsupported content-type {content_type!r} (binary mode, JSON only)")
        model = REGISTRY.get(h["ce_type"])
        if model is None:
            raise EventDecodeError(f"unknown event type {h['ce_type']!r}")
        if value is None:
            raise EventDecodeError("record has no value")
        try:
            event_id = _uuid(h["ce_id"])
        except ValueError as exc:
            raise EventDecodeError(f"ce_id is not a UUID: {h['ce_id']!r}") from exc
        try:
            time = datetime.fromisoformat(h["ce_time"])  # "Z" included
            if time.tzinfo is not UTC:
                time = _utc(time)
        except ValueError as exc:
            raise EventDecodeError(f"ce_time is not an RFC 3339 timestamp with offset: {exc}") from exc
        try:
            data = model.__pydantic_validator__.validate_json(value)  # model_validate_json without its wrapper
        except ValidationError as exc:
            raise EventDecodeError(f"invalid {h['ce_type']} payload: {refusals(exc)}") from exc
        if HISTORY_HEADER in h and not data.imported_history():  # groups skip it unread: it may not lie
            raise EventDecodeError(f"{HISTORY_HEADER} on a {h['ce_type']} that is not imported history")
        aggregate_id = data.aggregate_id()
        subject = h.get("ce_subject") or aggregate_id
        if subject != aggregate_id:
            raise EventDecodeError(
                f"ce_subject {subject!r} is not the payload's {model.aggregate_field} {aggregate_id!r}"
            )
        event: Event[EventPayload] = object.__new__(Event)  # the checks of __init__ hold by construction here
        event.__dict__.update(
            id=event_id,
            type=h["ce_type"],
            source=h["ce_source"],
            subject=subject,
            time=time,
            data=data,
            correlation_id=h.get("ce_correlationid"),
            traceparent=h.get("ce_traceparent"),
            extra_headers={} if h.keys() <= KNOWN_HEADERS else {k: v for k, v in h.items() if k not in KNOWN_HEADERS},
        )
        return event


MAX_REFUSALS = 10
"""Refused fields named in a decoding error; a hostile payload may refuse every field."""


def refusals(exc: ValidationError) -> str:
    """Each refused field and why, on one line. A value type read from JSON refuses in two readings (its canonical
    form and its validators, ``o2c_common.events.types``); only the validators' reason is named."""
    reasons = []
    for error in exc.errors(include_url=False):
        if error["loc"] and error["loc"][-1] == CANONICAL_READING:
            continue
        field = ".".join(str(part) for part in error["loc"] if part != VALIDATED_READING)
        reasons.append(f"{field}: {error['msg']}" if field else error["msg"])
    more = f"; and {len(reasons) - MAX_REFUSALS} more" if len(reasons) > MAX_REFUSALS else ""
    return "; ".join(reasons[:MAX_REFUSALS]) + more


def plain_headers(headers: Iterable[Any]) -> dict[str, str] | None:
    """The headers as text, if they come as a client hands them over (a list or tuple of text names and UTF-8
    bytes values, no name twice); None otherwise."""
    if isinstance(headers, list | tuple):
        with contextlib.suppress(AttributeError, TypeError, ValueError):  # not a pair, not bytes, not UTF-8
            plain = {name: raw.decode() for name, raw in headers}
            if len(plain) == len(headers) and all(type(name) is str for name in plain):
                return plain
    return None


def _decode_headers(headers: Iterable[Any]) -> dict[str, str]:
    plain = plain_headers(headers)
    return plain if plain is not None else _decode_headers_one_by_one(headers)  # the latter says what is wrong


def _decode_headers_one_by_one(headers: Iterable[Any]) -> dict[str, str]:
    decoded: dict[str, str] = {}
    try:
        for name, raw in headers:
            text = raw.decode() if isinstance(raw, bytes | bytearray) else None
            if not isinstance(name, str) or text is None:
                raise EventDecodeError(f"header {name!r} is not a text name with a bytes value")
            if name in decoded and name in KNOWN_HEADERS:
                raise EventDecodeError(f"header {name!r} appears more than once")
            decoded[name] = text
    except UnicodeDecodeError as exc:
        raise EventDecodeError(f"headers are not UTF-8 text: {exc}") from exc
    except (TypeError, ValueError) as exc:
        if isinstance(exc, EventDecodeError):
            raise
        raise EventDecodeError(f"malformed headers: {exc}") from exc
    return decoded
