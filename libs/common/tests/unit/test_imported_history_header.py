"""Imported history's events carry ``o2c_history`` (o2c_common.events.envelope.HISTORY_HEADER): a group whose
handlers act on today's work only (``Batched(..., history=False)``) skips them unread, plain or bundled, and reads
today's events of the same type as before."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from aiokafka.structs import ConsumerRecord

from o2c_common.events import Event
from o2c_common.events.bundle import BUNDLE_HEADER, bundled_count, outbox_rows, pack, unbundle, unpack
from o2c_common.events.contracts.collections import PaymentApplied, PaymentReceived
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceIssued
from o2c_common.events.envelope import HISTORY_HEADER, EventDecodeError, new_event_id
from o2c_common.events.examples import example_payload
from o2c_common.inbox.consumer import EventConsumer
from o2c_common.inbox.handlers import Batched
from o2c_common.inbox.lane import Lane
from o2c_common.outbox.writer import slot_for
from o2c_common.tx import Tx


def issued(n: int = 1, *, historical: bool) -> Event[InvoiceIssued]:
    return Event.new(InvoiceIssued(
        invoice_id=uuid.uuid4(), invoice_number=f"H-{n}", legal_entity="US01", customer_id="C-1", currency="USD",
        amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2015, 1, 2), due_date=date(2015, 2, 1),
        issued_at=datetime(2026, 12, 5, tzinfo=UTC), historical=historical), source="/o2c/invoicing")


def record(key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]], offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord("t", 0, offset, 0, 0, key, value, None, len(key), len(value), list(headers))


def plain(event: Event[Any], offset: int = 0) -> ConsumerRecord:
    return record(event.key.encode(), event.value(), event.headers(), offset)


def test_imported_history_carries_the_header_and_decodes_to_the_event_it_was() -> None:
    old, new = issued(historical=True), issued(historical=False)
    assert dict(old.header_pairs())[HISTORY_HEADER] == "1"
    assert HISTORY_HEADER not in dict(new.header_pairs())
    for event in (old, new):
        assert json.loads(event.headers_json()) == [list(pair) for pair in event.header_pairs()]
        assert Event.from_kafka(event.key.encode(), event.value(), event.headers()) == event


def test_the_payment_facts_of_history_are_marked_and_todays_are_not() -> None:
    received = example_payload(PaymentReceived)
    assert received.model_copy(update={"source": "history_import"}).imported_history()
    assert not received.model_copy(update={"source": "camt053"}).imported_history()
    applied = example_payload(PaymentApplied)
    assert applied.model_copy(update={"historical": True}).imported_history()
    assert not applied.model_copy(update={"historical": False}).imported_history()
    assert not example_payload(InvoiceApproved).imported_history()


def test_the_header_on_todays_work_is_refused_so_that_no_group_skips_live_work_on_it() -> None:
    live = issued(historical=False)
    with pytest.raises(EventDecodeError, match=HISTORY_HEADER):
        Event.from_kafka(live.key.encode(), live.value(), [*live.headers(), (HISTORY_HEADER, b"1")])


def test_history_and_todays_events_never_share_a_bundle_and_the_history_bundle_says_so() -> None:
    events = [issued(n, historical=n % 2 == 0) for n in range(80)]
    rows = outbox_rows([(e.id, e.topic, e.key, slot_for(e.key, 4), e.type, e.headers_json(), e.value())
                        for e in events], new_id=new_event_id)
    history = {e.id for e in events if e.data.historical}
    for _, _, _, _, _, headers, value in rows:
        pairs = json.loads(headers)
        count = bundled_count(pairs)
        assert count is not None
        members = {uuid.UUID(dict(json.loads(h))["ce_id"]) for _, h, _ in unpack(value, count)}
        marked = [HISTORY_HEADER, "1"] in pairs
        assert members <= history if marked else not members & history


async def on_issued(tx: Tx, events: Sequence[Event[InvoiceIssued]]) -> None:
    raise AssertionError("not called by decoding")


def lane(name: str, *, history: bool) -> Lane:
    return Lane(name=name, handlers={InvoiceIssued: Batched(on_issued, history=history)},
                transactions=cast(Any, None), dlq_producer=cast(Any, None), max_attempts=1, retry_backoff=0)


async def test_a_group_of_todays_work_skips_history_plain_or_bundled_unread_and_reads_todays_events() -> None:
    old, new = issued(1, historical=True), issued(2, historical=False)
    members = [issued(n, historical=True) for n in range(3, 6)]
    bundle = record(b"k", pack((e.key, e.headers_json(), e.value()) for e in members),
                    [("ce_type", InvoiceIssued.ce_type().encode()), (BUNDLE_HEADER, b"3"), (HISTORY_HEADER, b"1")], 2)
    records = unbundle([plain(old), plain(new, 1), bundle])  # opened, as for a group that reads history too
    decoded = await lane("todays", history=False).decode(records)
    assert decoded is not None
    assert [event.id for _, event, _ in decoded.work] == [new.id]
    assert decoded.skipped == [("imported_history", InvoiceIssued.ce_type())] * 4
    everything = await lane("all", history=True).decode(records)
    assert everything is not None
    assert [event.id for _, event, _ in everything.work] == [old.id, new.id, *(e.id for e in members)]


def consumer(*lanes: tuple[str, bool]) -> EventConsumer:
    return EventConsumer(group_id="g", topics=["t"], transactions=cast(Any, None), bootstrap_servers="x:1",
                         dlq_producer=cast(Any, None), lanes=[
                             (name, {InvoiceIssued: Batched(on_issued, history=history)}) for name, history in lanes])


def test_a_history_bundle_is_opened_only_when_a_lane_of_the_group_reads_history() -> None:
    ce_type = InvoiceIssued.ce_type()
    todays = consumer(("a", False))
    assert not todays._opened(ce_type, True) and todays._opened(ce_type, False)
    assert not todays._opened(InvoiceApproved.ce_type(), False)
    mixed = consumer(("a", False), ("b", True))
    assert mixed._opened(ce_type, True) and mixed._opened(ce_type, False)
