"""The consumer's fast-path decoding (o2c_common.inbox.decoding): a record of a type the group has no handler for is
skipped from its ``ce_type`` alone; anything out of the ordinary is read in full, as before."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aiokafka.structs import ConsumerRecord

from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceIssued
from o2c_common.events.examples import example_payload
from o2c_common.inbox.decoding import decode
from o2c_common.kafka.dead_letters import REPLAY_GROUP_HEADER
from o2c_common.tx import Tx


async def on_invoice_issued(tx: Tx, event: Event[InvoiceIssued]) -> None:
    raise AssertionError("not called by decoding")


HANDLERS = {InvoiceIssued: on_invoice_issued}


def skip_reason(target: str | None, ce_type: str | None, history: bool = False) -> str | None:
    if target is not None and target != "g":
        return "replayed_for_another_group"
    return None if ce_type == InvoiceIssued.ce_type() else "no_handler"


def record(event: Event[Any], headers: Sequence[tuple[str, bytes]] | None = None, offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord(topic="t", partition=0, offset=offset, timestamp=0, timestamp_type=0,
                          key=event.key.encode(), value=event.value(), checksum=None, serialized_key_size=0,
                          serialized_value_size=0, headers=list(event.headers() if headers is None else headers))


def issued() -> Event[InvoiceIssued]:
    payload = InvoiceIssued(
        invoice_id=uuid.uuid4(), invoice_number="000001", legal_entity="US01", customer_id="C1", currency="USD",
        amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2026, 1, 1), due_date=date(2026, 1, 31),
        issued_at=datetime.now(UTC))
    return Event.new(payload, source=InvoiceIssued.expected_source())


def approved() -> Event[InvoiceApproved]:
    return Event.new(example_payload(InvoiceApproved), source=InvoiceApproved.expected_source())


async def test_a_type_without_handler_is_skipped_from_its_type_even_with_other_headers_out_of_the_ordinary() -> None:
    other = approved()
    odd = [*other.headers(), ("x-note", b"\xff\xfe not UTF-8")]  # would send the whole fetch the careful way
    mine = issued()
    decoded = await decode([record(other, odd), record(mine, offset=1)], HANDLERS, skip_reason)
    assert decoded is not None
    assert decoded.skipped == [("no_handler", InvoiceApproved.ce_type())]
    assert [(r.offset, e.id) for r, e, _ in decoded.work] == [(1, mine.id)]


async def test_a_replay_for_another_group_and_a_name_given_twice_are_read_in_full() -> None:
    replayed = [*approved().headers(), (REPLAY_GROUP_HEADER, b"other")]
    decoded = await decode([record(approved(), replayed)], HANDLERS, skip_reason)
    assert decoded is not None and decoded.skipped == [("replayed_for_another_group", InvoiceApproved.ce_type())]
    twice = [*approved().headers(), ("ce_type", InvoiceIssued.ce_type().encode())]
    assert await decode([record(approved(), twice)], HANDLERS, skip_reason) is None  # the careful path decides
