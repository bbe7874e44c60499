"""Bundles (o2c_common.events.bundle): the events of a bulk unit of work in few outbox rows and records, each member
still the whole event it was, every key's events in order."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from aiokafka.partitioner import DefaultPartitioner, murmur2 as kafka_murmur2
from aiokafka.structs import ConsumerRecord
from hypothesis import given, strategies as st

from o2c_common.events import Event
from o2c_common.events.bundle import (
    BUNDLE_FROM,
    BUNDLE_HEADER,
    MAX_MEMBERS,
    BundleError,
    MemberRecord,
    OutboxRow,
    bundle_headers,
    bundled_count,
    by_partition,
    murmur2,
    outbox_rows,
    pack,
    partition_for,
    row_events,
    unbundle,
    unpack,
)
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceIssued
from o2c_common.events.envelope import new_event_id, plain_headers
from o2c_common.events.examples import example_payload
from o2c_common.inbox.records import fallback_id
from o2c_common.outbox.writer import slot_for


def issued(n: int, invoice_id: uuid.UUID | None = None) -> Event[InvoiceIssued]:
    return Event.new(InvoiceIssued(
        invoice_id=invoice_id or uuid.uuid4(), invoice_number=f"B-{n}", legal_entity="US01", customer_id="C-1",
        currency="USD", amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2015, 1, 2),
        due_date=date(2015, 2, 1), issued_at=datetime(2026, 12, 5, tzinfo=UTC)), source="/o2c/invoicing")


def row(event: Event, slots: int = 4) -> OutboxRow:
    return (event.id, event.topic, event.key, slot_for(event.key, slots), event.type, event.headers_json(),
            event.value())


def members_of(rows: list[OutboxRow]) -> list[uuid.UUID]:
    """The event ids ``rows`` carry, bundles opened, in row order."""
    return [uuid.UUID(dict(json.loads(headers))["ce_id"])
            for r in rows for _, headers, _ in row_events(r[4], json.loads(r[5]), r[6])]


def test_a_bulk_list_becomes_one_bundle_a_topic_type_and_slot_and_a_lone_event_stays_plain() -> None:
    events = [issued(n) for n in range(40)]
    rows = outbox_rows([row(e) for e in events], new_id=new_event_id)
    assert len(rows) <= 4  # four slots, one type
    assert sorted(members_of(rows)) == sorted(e.id for e in events)
    for r in rows:
        assert bundled_count(json.loads(r[5])) is not None
        assert json.loads(r[5]) == [list(pair) for pair in bundle_headers(r[4], bundled_count(json.loads(r[5])) or 0)]
        assert {slot_for(key, 4) for key, _, _ in unpack(r[6], bundled_count(json.loads(r[5])) or 0)} == {r[3]}
    lone = issued(99)
    assert outbox_rows([row(lone)], new_id=new_event_id) == [row(lone)]
    few = [row(e) for e in events[:BUNDLE_FROM - 1]]  # a request's few events stay plain rows
    assert outbox_rows(few, new_id=new_event_id) == few


def test_each_keys_events_keep_their_order_across_bundles() -> None:
    invoice = uuid.uuid4()
    first, others = issued(1, invoice), [issued(n) for n in range(2, 40)]
    approved = Event.new(example_payload(InvoiceApproved, invoice_id=invoice), source="/o2c/invoicing")
    again = issued(40, invoice)
    events = [first, *others, approved, again]
    ids = members_of(outbox_rows([row(e) for e in events], new_id=new_event_id))
    assert sorted(ids) == sorted(e.id for e in events)
    assert ids.index(first.id) < ids.index(approved.id) < ids.index(again.id)


def test_a_bundle_is_cut_at_its_bounds() -> None:
    events = [issued(n) for n in range(MAX_MEMBERS + 10)]
    rows = outbox_rows([row(e, slots=1) for e in events], new_id=new_event_id)
    assert [bundled_count(json.loads(r[5])) for r in rows] == [MAX_MEMBERS, 10]
    assert members_of(rows) == [e.id for e in events]


def test_pack_and_unpack_round_trip_and_a_broken_bundle_is_refused() -> None:
    members = [("k-1", '[["ce_id", "x"]]', b'{"a": 1}'), ("k-\u00e9", "[]", b"")]
    value = pack(members)
    assert unpack(value, 2) == members
    with pytest.raises(BundleError, match="header says 3"):
        unpack(value, 3)
    with pytest.raises(BundleError, match="past the end"):
        unpack(value[:-3] + b"\xff\xff\xff", 2)
    with pytest.raises(BundleError):
        unpack(b"\x00\x00", 1)


def record(key: bytes, value: bytes, headers: list[tuple[str, bytes]], offset: int = 7) -> ConsumerRecord:
    return ConsumerRecord(topic="o2c.invoice", partition=2, offset=offset, timestamp=1, timestamp_type=0, key=key,
                          value=value, checksum=None, serialized_key_size=len(key), serialized_value_size=len(value),
                          headers=headers)


def test_a_bundle_record_is_read_as_its_events_and_a_broken_one_is_left_whole() -> None:
    events = [issued(n) for n in range(3)]
    bundle = record(events[0].key.encode(), pack((e.key, e.headers_json(), e.value()) for e in events),
                    [("ce_type", events[0].type.encode()), (BUNDLE_HEADER, b"3")])
    plain = record(b"k", events[0].value(), events[0].headers(), offset=6)
    read = unbundle([plain, bundle])
    assert [r.offset for r in read] == [6, 7, 7, 7]
    assert [r.checksum for r in read] == [None, 0, 1, 2]
    decoded = [Event.from_kafka(r.key, r.value, r.headers) for r in read[1:]]
    assert decoded == events
    assert all(isinstance(r, MemberRecord) and r.text_headers == plain_headers(r.headers) for r in read[1:])
    assert len({fallback_id(r) for r in read}) == 4  # each member has a position of its own
    broken = record(b"k", b"\x00\x00\x00\x09abc", [("ce_type", b"t"), (BUNDLE_HEADER, b"1")])
    assert unbundle([broken]) == [broken]
    many = [(f"k{n}", "[]", b"") for n in range(MAX_MEMBERS + 1)]  # more than a writer puts in one: not opened
    oversized = record(b"k", pack(many), [("ce_type", b"t"), (BUNDLE_HEADER, str(len(many)).encode())])
    assert unbundle([oversized]) == [oversized]
    assert unbundle([plain]) == [plain]


def test_the_relay_splits_a_bundle_where_the_producer_would_send_each_member() -> None:
    partitions = [0, 1, 2, 3, 4, 5]
    members = [(str(uuid.uuid4()), f'[["n", "{n}"]]', f"v{n}".encode()) for n in range(60)]
    parts = by_partition(pack(members), 60, lambda key: partition_for(key, partitions))
    assert sum(len(frames) for frames in parts.values()) == 60
    for partition, keyed in parts.items():
        part = unpack(b"".join(frames for _, frames in keyed), len(keyed))
        assert [key for key, _ in keyed] == [key.encode() for key, _, _ in part]
        assert part == [m for m in members if m in part]  # bundle order kept, each member whole
        assert all(DefaultPartitioner()(key.encode(), partitions, partitions) == partition for key, _, _ in part)
    with pytest.raises(BundleError, match="header says 61"):
        by_partition(pack(members), 61, lambda key: 0)
    with pytest.raises(BundleError):
        by_partition(pack(members)[:-2], 60, lambda key: 0)


@given(st.binary(max_size=80))
def test_murmur2_is_kafkas(key: bytes) -> None:
    assert murmur2(key) == kafka_murmur2(key)
    assert partition_for(key, [0, 1, 2]) == DefaultPartitioner()(key, [0, 1, 2], [0, 1, 2])


def test_a_payment_batchs_interleaved_events_still_bundle_by_type() -> None:
    """A booking emits, for each payment, its receipt, its application and its invoice's change: the keys come
    again within the list, and each type is still bundled, each key's events in order."""
    events: list[Event] = []
    for n in range(40):
        payment, invoice = issued(n), issued(1000 + n)
        events += [payment, Event.new(example_payload(InvoiceApproved, invoice_id=payment.data.invoice_id),
                                      source="/o2c/invoicing"), invoice]
    rows = outbox_rows([row(e) for e in events], new_id=new_event_id)
    assert len(rows) <= 3 * 4
    ids = members_of(rows)
    assert sorted(ids) == sorted(e.id for e in events)
    for n in range(0, len(events), 3):
        assert ids.index(events[n].id) < ids.index(events[n + 1].id)


def test_a_bundle_of_a_type_nobody_reads_stays_whole() -> None:
    events = [issued(n) for n in range(3)]
    bundle = record(b"k", pack((e.key, e.headers_json(), e.value()) for e in events),
                    [("ce_type", events[0].type.encode()), (BUNDLE_HEADER, b"3")])
    assert unbundle([bundle], wanted=lambda t, _: t == "o2c.other.v1") == [bundle]
    assert len(unbundle([bundle], wanted=lambda t, _: t == events[0].type)) == 3
