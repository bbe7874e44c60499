"""CloudEvents 1.0 envelope in Kafka binary mode.

Attributes travel as ``ce_*`` headers, the JSON payload is the record value and the record key is
the aggregate id. ``content-type`` carries ``datacontenttype`` as the Kafka binding requires.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from o2c_common.events.base import REGISTRY, EventPayload

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = list[tuple[str, bytes]]


class EventDecodeError(ValueError):
    """A record that is not a valid o2c CloudEvent (goes to the dead-letter topic)."""


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    type: str
    source: str
    subject: str
    time: datetime
    data: EventPayload
    correlation_id: str | None = None
    traceparent: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        payload: EventPayload,
        *,
        source: str,
        correlation_id: str | None = None,
        traceparent: str | None = None,
        time: datetime | None = None,
    ) -> Event:
        return cls(
            id=uuid.uuid4(),
            type=payload.ce_type(),
            source=source,
            subject=payload.aggregate_id(),
            time=time or datetime.now(UTC),
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
        headers.update(self.extra_headers)
        return [(k, v.encode()) for k, v in headers.items()]

    def value(self) -> bytes:
        return self.data.model_dump_json().encode()

    @classmethod
    def from_kafka(cls, key: bytes | None, value: bytes | None, headers: Headers | tuple[Any, ...]) -> Event:
        try:
            h = {k: v.decode() for k, v in headers}
        except (UnicodeDecodeError, AttributeError, ValueError) as exc:
            raise EventDecodeError(f"headers are not UTF-8 text: {exc}") from exc
        missing = [a for a in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time") if a not in h]
        if missing:
            raise EventDecodeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if h["ce_specversion"] != SPEC_VERSION:
            raise EventDecodeError(f"unsupported specversion {h['ce_specversion']!r}")
        model = REGISTRY.get(h["ce_type"])
        if model is None:
            raise EventDecodeError(f"unknown event type {h['ce_type']!r}")
        if value is None:
            raise EventDecodeError("record has no value")
        try:
            data = model.model_validate_json(value)
            event_id = uuid.UUID(h["ce_id"])
            time = datetime.fromisoformat(h["ce_time"].replace("Z", "+00:00"))
        except (ValidationError, ValueError, json.JSONDecodeError) as exc:
            raise EventDecodeError(f"invalid {h['ce_type']} payload: {exc}") from exc
        known = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time",
                 "content-type", "ce_correlationid", "ce_traceparent"}
        return cls(
            id=event_id,
            type=h["ce_type"],
            source=h["ce_source"],
            subject=h.get("ce_subject") or (key.decode() if key else data.aggregate_id()),
            time=time,
            data=data,
            correlation_id=h.get("ce_correlationid"),
            traceparent=h.get("ce_traceparent"),
            extra_headers={k: v for k, v in h.items() if k not in known},
        )
