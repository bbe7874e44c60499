"""The CloudEvents envelope: anything that is not a valid o2c event raises EventDecodeError."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from o2c_common.events import Event, EventDecodeError
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.envelope import new_event_id, new_event_ids, plain_headers
from o2c_common.events.examples import example_payload

Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]


def _record() -> Record:
    event = Event.new(example_payload(InvoiceIssued), source="/o2c/invoicing", correlation_id="c-1")
    return event.key.encode(), event.value(), event.headers()


def _set(name: str, value: bytes) -> Callable[[Record], Record]:
    def change(record: Record) -> Record:
        key, value_, headers = record
        return key, value_, [(n, value if n == name else v) for n, v in headers]

    return change


def _drop(name: str) -> Callable[[Record], Record]:
    return lambda r: (r[0], r[1], [(n, v) for n, v in r[2] if n != name])


def _value(value: bytes | None) -> Callable[[Record], Record]:
    return lambda r: (r[0], value, r[2])


def _payload(**changes: object) -> Callable[[Record], Record]:
    def change(record: Record) -> Record:
        assert record[1] is not None
        data = {**json.loads(record[1]), **changes}
        return record[0], json.dumps({k: v for k, v in data.items() if v is not _DELETE}).encode(), record[2]

    return change


_DELETE = object()

BAD_RECORDS: dict[str, Callable[[Record], Record]] = {
    "missing ce_specversion": _drop("ce_specversion"),
    "missing ce_id": _drop("ce_id"),
    "missing ce_source": _drop("ce_source"),
    "missing ce_type": _drop("ce_type"),
    "missing ce_time": _drop("ce_time"),
    "no headers at all": lambda r: (r[0], r[1], []),
    "wrong specversion": _set("ce_specversion", b"0.3"),
    "unknown type": _set("ce_type", b"o2c.invoice.teleported.v1"),
    "unknown version": _set("ce_type", b"o2c.invoice.issued.v9"),
    "non-UTF-8 header": _set("ce_source", b"\xff\xfe/o2c"),
    "header value not bytes": lambda r: (r[0], r[1], [(n, None if n == "ce_id" else v) for n, v in r[2]]),  # type: ignore[misc]
    "header not a pair": lambda r: (r[0], r[1], [*r[2], ("lonely",)]),  # type: ignore[list-item]
    "duplicate ce_type header": lambda r: (r[0], r[1], [*r[2], ("ce_type", b"o2c.invoice.paid.v1")]),
    "ce_id not a UUID": _set("ce_id", b"not-a-uuid"),
    "ce_time not a timestamp": _set("ce_time", b"yesterday"),
    "ce_time without offset": _set("ce_time", b"2024-03-15T09:30:00"),
    "structured-mode content type": _set("content-type", b"application/cloudevents+json"),
    "subject is not the aggregate id": _set("ce_subject", str(uuid.uuid4()).encode()),
    "no value (tombstone)": _value(None),
    "empty value": _value(b""),
    "bad JSON": _value(b'{"invoice_id": '),
    "value not UTF-8": _value(b"\xff\xfe\x00"),
    "JSON but not an object": _value(b"[1, 2, 3]"),
    "missing payload field": _payload(amount=_DELETE),
    "wrong field type": _payload(invoice_id="INV-1"),
    "amount as a float number": _payload(amount=1250.5),
    "amount with too many decimals": _payload(amount="0.1234567"),
    "amount too large": _payload(amount="123456789012345.00"),
    "amount not a number": _payload(amount="NaN"),
    "bad currency": _payload(currency="euro"),
    "naive instant in payload": _payload(issued_at="2024-03-15T09:30:00"),
}


def test_a_good_record_decodes() -> None:
    key, value, headers = _record()
    event = Event.from_kafka(key, value, headers)
    assert isinstance(event.data, InvoiceIssued)
    assert event.correlation_id == "c-1"


@pytest.mark.parametrize("mutate", list(BAD_RECORDS.values()), ids=list(BAD_RECORDS))
def test_undecodable_records_raise_event_decode_error(mutate: Callable[[Record], Record]) -> None:
    key, value, headers = mutate(_record())
    with pytest.raises(EventDecodeError):
        Event.from_kafka(key, value, headers)


def test_event_decode_error_is_a_value_error_for_generic_handlers() -> None:
    assert issubclass(EventDecodeError, ValueError)


def test_missing_subject_and_content_type_fall_back_to_the_payload() -> None:
    _key, value, headers = _drop("content-type")(_drop("ce_subject")(_record()))
    event = Event.from_kafka(None, value, headers)
    assert event.subject == str(json.loads(value or b"{}")["invoice_id"])


def test_headers_are_cloudevents_binary_mode() -> None:
    payload = example_payload(InvoiceIssued)
    event = Event.new(
        payload,
        source="/o2c/invoicing",
        correlation_id="corr",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        time=datetime(2024, 3, 15, 9, 30, tzinfo=UTC),
    )
    headers = dict(event.headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"o2c.invoice.issued.v1"
    assert headers["ce_subject"] == str(payload.invoice_id).encode()
    assert headers["ce_time"] == b"2024-03-15T09:30:00Z"
    assert headers["content-type"] == b"application/json"
    assert headers["ce_correlationid"] == b"corr"
    assert headers["ce_traceparent"].startswith(b"00-")
    assert uuid.UUID(headers["ce_id"].decode()) == event.id
    assert event.key == str(payload.invoice_id)


def test_event_ids_are_unique_unless_given() -> None:
    payload = example_payload(InvoiceIssued)
    assert Event.new(payload, source="/s").id != Event.new(payload, source="/s").id
    fixed = uuid.uuid4()
    assert Event.new(payload, source="/s", event_id=fixed).id == fixed


def test_event_time_is_aware_and_stored_in_utc() -> None:
    payload = example_payload(InvoiceIssued)
    with pytest.raises(ValueError, match="timezone-aware"):
        Event.new(payload, source="/s", time=datetime(2024, 3, 15, 9, 30))
    cet = timezone(timedelta(hours=1))
    event = Event.new(payload, source="/s", time=datetime(2024, 3, 15, 10, 30, tzinfo=cet))
    assert event.time == datetime(2024, 3, 15, 9, 30, tzinfo=UTC)
    assert event.time.tzinfo is UTC
    assert dict(event.headers())["ce_time"] == b"2024-03-15T09:30:00Z"


def test_extra_headers_round_trip_but_cannot_shadow_the_envelope() -> None:
    base = Event.new(example_payload(InvoiceIssued), source="/s")
    event = Event(**{**base.__dict__, "extra_headers": {"x-retry-count": "2"}})
    decoded = Event.from_kafka(None, event.value(), event.headers())
    assert decoded.extra_headers == {"x-retry-count": "2"}
    assert decoded == event
    with pytest.raises(ValueError, match="ce_type"):
        Event(**{**base.__dict__, "extra_headers": {"ce_type": "o2c.invoice.paid.v1"}})


@pytest.mark.parametrize("correlation_id, traceparent, extra", [
    (None, None, {}),
    ("c-1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", {"x-retry-count": "2"}),
    ('quote " back\\slash, new\nline', None, {"x-note": "ünïcødé \u2028 \x01"}),
])
def test_the_outbox_json_of_the_headers_is_the_header_pairs(correlation_id: str | None, traceparent: str | None,
                                                             extra: dict[str, str]) -> None:
    base = Event.new(example_payload(InvoiceIssued), source="/o2c/in\"voicing", correlation_id=correlation_id,
                     traceparent=traceparent)
    event = Event(**{**base.__dict__, "extra_headers": extra})
    assert json.loads(event.headers_json()) == [list(pair) for pair in event.header_pairs()]
    assert json.loads(event.headers_json()) == json.loads(json.dumps(event.header_pairs()))


def test_headers_from_aiokafka_tuples_are_accepted() -> None:
    key, value, headers = _record()
    event = Event.from_kafka(key, value, tuple(headers))
    assert isinstance(event.data, InvoiceIssued)


def test_new_event_ids_are_version_7_in_time_order_and_unique() -> None:
    """Event ids carry their millisecond first (RFC 9562 version 7), so the outbox's and inboxes' indexes take them
    at their right edge; the remaining 74 bits are random."""
    first = [new_event_id() for _ in range(2_000)]
    time.sleep(0.002)
    later = new_event_id()
    assert {i.version for i in first} == {7} and {i.variant for i in first} == {uuid.RFC_4122}
    assert len(set(first)) == len(first)
    assert later > max(first)  # a later millisecond sorts after, as bytes and as the database's uuid order
    now_ms = time.time_ns() // 1_000_000
    assert now_ms - 1_000 <= later.int >> 80 <= now_ms
    assert Event.new(example_payload(InvoiceIssued), source="/o2c/invoicing").id.version == 7
    batch = new_event_ids(5_000)  # a bulk path's: one read of random bits
    assert {i.version for i in batch} == {7} and {i.variant for i in batch} == {uuid.RFC_4122}
    assert len(set(batch) | set(first)) == len(batch) + len(first)
    assert later.int >> 80 <= min(i.int >> 80 for i in batch) and len({i.int & (1 << 74) - 1 for i in batch}) == 5_000


def test_headers_decode_alike_as_a_list_a_tuple_or_an_iterator_and_a_repeated_extra_header_keeps_its_last_value(
        ) -> None:
    base = Event.new(example_payload(InvoiceIssued), source="/o2c/invoicing", correlation_id="c-1")
    event = Event(**{**base.__dict__, "extra_headers": {"x-retry-count": "2"}})
    headers = event.headers()
    as_list = Event.from_kafka(None, event.value(), headers)
    assert as_list == event
    assert Event.from_kafka(None, event.value(), tuple(headers)) == event
    assert Event.from_kafka(None, event.value(), iter(headers)) == event
    repeated = [("x-retry-count", b"1"), *headers]
    assert Event.from_kafka(None, event.value(), repeated) == event
    assert Event.from_kafka(None, event.value(), iter(repeated)) == event


def test_a_refused_payload_names_each_field_once_with_the_validators_reason() -> None:
    event = Event.new(example_payload(InvoiceIssued), source="/o2c/invoicing")
    raw = json.loads(event.value())
    raw.update(amount=1250.5, tax_amount="-0.01", issued_at="2024-03-15T09:30:00")

    with pytest.raises(EventDecodeError) as refused:
        Event.from_kafka(None, json.dumps(raw).encode(), event.headers())

    message = str(refused.value)
    assert message.startswith("invalid o2c.invoice.issued.v1 payload: amount: Value error, must be a decimal string")
    assert "tax_amount: Input should be greater than or equal to 0" in message
    assert "issued_at: Input should have timezone info" in message
    assert "canonical" not in message and "validated" not in message and "\n" not in message


def test_a_payload_refusing_every_field_names_ten_of_them() -> None:
    event = Event.new(example_payload(InvoiceIssued), source="/o2c/invoicing")
    nothing = json.dumps(dict.fromkeys(json.loads(event.value()))).encode()

    with pytest.raises(EventDecodeError, match=r"; and \d+ more$") as refused:
        Event.from_kafka(None, nothing, event.headers())

    assert str(refused.value).count("; ") == 10  # ten fields, then "and N more"


@pytest.mark.parametrize("headers", [
    [("ce_id", b"1"), (b"ce_type", b"x")],  # a name that is not text
    [("ce_id", b"1"), ("ce_type", None)],  # a null value
    [("ce_id", b"1"), ("ce_type", "x")],  # a value that is not bytes
    [("ce_id", b"1"), ("ce_type", memoryview(b"x"))],
    [("ce_id", b"1"), ("ce_type", b"\xff")],  # not UTF-8
    [("ce_id", b"1"), ("ce_id", b"2")],  # a name twice
    [("ce_id", b"1"), ("lonely",)],
    ("ce_id", b"1"),  # not a list of pairs
], ids=["bytes name", "null value", "text value", "memoryview", "not UTF-8", "name twice", "not a pair", "flat"])
def test_only_plain_headers_take_the_fast_reading(headers: Any) -> None:
    assert plain_headers(headers) is None


def test_plain_headers_read_as_text_and_extra_headers_keep_their_order() -> None:
    key, value, headers = _record()
    headers = [*headers, ("z_last", b"1"), ("a_first", "é".encode())]
    plain = plain_headers(headers)
    assert plain is not None and plain["a_first"] == "é"

    event = Event.from_headers(value, plain)

    assert list(event.extra_headers.items()) == [("z_last", "1"), ("a_first", "é")]
    assert event == Event.from_kafka(key, value, headers)
    assert isinstance(event.id, uuid.UUID) and str(event.id) == plain["ce_id"]
