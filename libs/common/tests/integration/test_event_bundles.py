"""Bundles end to end, on real PostgreSQL and the session's broker: a bulk unit of work's events go out in a few
outbox rows, the relay sends each member to the partition its key goes to, in order, and a consumer takes every
member once, dead-lettering a poisoned one alone, as the plain event it is."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.events import Event
from o2c_common.events.bundle import BUNDLE_HEADER, MAX_MEMBERS, unbundle
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceIssued
from o2c_common.events.envelope import HISTORY_HEADER
from o2c_common.events.examples import example_payload
from o2c_common.inbox import Batched, EventConsumer
from o2c_common.kafka import ensure_topics, make_producer
from o2c_common.kafka.client import read_from_start
from o2c_common.outbox.relay import OutboxRelay
from o2c_common.outbox.writer import add_many_to_outbox
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions, Tx

from .test_batch_consumer import issued, until

pytestmark = pytest.mark.integration

PARTITIONS = 3


async def published(db: Database, bootstrap: str, topic: str, events: Sequence[Event], *, slots: int = 4,
                    partitions: int = PARTITIONS) -> int:
    """``events`` emitted in one unit of work, their rows moved to ``topic`` and relayed; the outbox rows written.
    The relay's next fetch asks for about a batch of events, not of rows."""
    await ensure_topics(bootstrap, [topic], partitions=partitions, replication_factor=1)
    async with db.unit_of_work() as session:
        await add_many_to_outbox(session, events, slots=slots)
    async with db.unit_of_work() as s:
        rows = (await s.execute(text("UPDATE outbox SET topic = :t RETURNING id"), {"t": topic})).all()
    settings = ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name="h16b-bundles")
    relay = OutboxRelay(dsn=asyncpg_dsn(db.url), producer_factory=lambda: make_producer(settings), slots=slots,
                        poll_interval=0.05)
    task = asyncio.create_task(relay.run())
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while relay.published_total < len(events):
            assert asyncio.get_running_loop().time() < deadline, relay.published_total
            await asyncio.sleep(0.05)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
    assert relay.rows_per_fetch == max(1, 1000 * len(rows) // len(events))
    return len(rows)


def scenario() -> tuple[list[Event], uuid.UUID]:
    """60 issued invoices, 20 of them approved after; the 7th invoice is the cursed one."""
    first = [issued(n) for n in range(1, 61)]
    approvals = [Event.new(example_payload(InvoiceApproved, invoice_id=e.data.invoice_id),
                           source=InvoiceApproved.expected_source()) for e in first[:20]]
    return [*first, *approvals], first[6].data.invoice_id


async def read_back(bootstrap: str, topic: str, expected: int, partitions: int = PARTITIONS) -> list[ConsumerRecord]:
    """The topic's records, from its start, until they hold ``expected`` events."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        await read_from_start(consumer, [TopicPartition(topic, p) for p in range(partitions)])
        records: list[ConsumerRecord] = []
        while len(unbundle(records)) < expected:
            fetched = await consumer.getmany(timeout_ms=2000)
            assert fetched, f"{len(unbundle(records))} of {expected} events"
            records += [r for batch in fetched.values() for r in batch]
    finally:
        await consumer.stop()
    return records


async def test_a_full_bundle_goes_through_the_broker_as_one_record(pg_db: Database, infra: Infra) -> None:
    events = [issued(n) for n in range(MAX_MEMBERS)]
    topic = f"h16b.bundles.{uuid.uuid4().hex[:8]}"
    assert await published(pg_db, infra.kafka_bootstrap, topic, events, slots=1, partitions=1) == 1
    records = await read_back(infra.kafka_bootstrap, topic, len(events), partitions=1)
    assert len(records) == 1 and len(records[0].value or b"") > 100_000
    assert [Event.from_kafka(r.key, r.value, r.headers) for r in unbundle(records)] == events


async def test_every_record_of_imported_history_says_so_after_the_relays_split(pg_db: Database, infra: Infra) -> None:
    events = [Event.new(e.data.model_copy(update={"historical": True}), source=e.source)
              for e in (issued(n) for n in range(1, 61))]
    topic = f"h16b.bundles.{uuid.uuid4().hex[:8]}"
    assert await published(pg_db, infra.kafka_bootstrap, topic, events) <= 4
    records = await read_back(infra.kafka_bootstrap, topic, len(events))
    assert any(k == BUNDLE_HEADER for r in records for k, _ in r.headers)
    assert all((HISTORY_HEADER, b"1") in r.headers for r in records)  # bundle parts and plain parts of one alike
    assert sorted(Event.from_kafka(r.key, r.value, r.headers).id for r in unbundle(records)) == sorted(
        e.id for e in events)


async def test_the_relay_sends_each_member_to_its_keys_partition_in_order(pg_db: Database, infra: Infra) -> None:
    events, _ = scenario()
    topic = f"h16b.bundles.{uuid.uuid4().hex[:8]}"
    rows = await published(pg_db, infra.kafka_bootstrap, topic, events)
    assert rows <= 2 * 4  # two types, four slots
    records = await read_back(infra.kafka_bootstrap, topic, len(events))
    assert len(records) < len(events) and any(k == BUNDLE_HEADER for r in records for k, _ in r.headers)
    members = unbundle(records)
    decoded = [Event.from_kafka(r.key, r.value, r.headers) for r in members]
    assert sorted(e.id for e in decoded) == sorted(e.id for e in events)
    assert {e.id: e for e in decoded} == {e.id: e for e in events}
    partitions = list(range(PARTITIONS))
    for r in members:
        assert r.partition == DefaultPartitioner()(r.key, partitions, partitions)
    order = {e.id: (r.partition, r.offset, r.checksum or 0) for e, r in zip(decoded, members, strict=True)}
    for approval in events[60:]:
        assert isinstance(approval.data, InvoiceApproved)
        issue = next(e for e in events[:60] if e.data.invoice_id == approval.data.invoice_id)
        assert order[issue.id] < order[approval.id]


async def test_a_consumer_takes_every_member_once_and_dead_letters_a_poisoned_one_alone(
        pg_db: Database, infra: Infra) -> None:
    events, cursed = scenario()
    topic = f"h16b.bundles.{uuid.uuid4().hex[:8]}"
    await published(pg_db, infra.kafka_bootstrap, topic, events)
    seen: list[uuid.UUID] = []

    async def on_invoices_issued_note(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        if any(e.data.invoice_id == cursed for e in batch):
            raise ValueError("cursed invoice")
        seen.extend(e.id for e in batch)

    async def on_invoice_approved_note(tx: Tx, event: Event[InvoiceApproved]) -> None:
        seen.append(event.id)

    dlq = make_producer(ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap, service_name="h16b-dlq"))
    await dlq.start()
    consumer = EventConsumer(group_id="h16b-bundles", topics=[topic],
                             handlers={InvoiceIssued: Batched(on_invoices_issued_note),
                                       InvoiceApproved: on_invoice_approved_note},
                             transactions=Transactions(db=pg_db, source="/o2c/test"),
                             bootstrap_servers=infra.kafka_bootstrap, dlq_producer=dlq, max_attempts=2,
                             retry_backoff=0.01, session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS)
    task = asyncio.create_task(consumer.run())
    try:
        await until(lambda: consumer.stats.processed == 79 and consumer.stats.dead_lettered == 1, consumer)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await dlq.stop()
    poisoned = next(e for e in events if isinstance(e.data, InvoiceIssued) and e.data.invoice_id == cursed)
    committed = set(seen)  # the handlers of a batch that fell back ran before its rollback
    assert committed == {e.id for e in events} - {poisoned.id}
    async with pg_db.unit_of_work() as s:
        letters = (await s.execute(text(
            "SELECT event_id, key, value, headers FROM dead_letters WHERE consumer = 'h16b-bundles'"))).all()
        claimed = (await s.execute(text(
            "SELECT count(*) FROM inbox WHERE consumer = 'h16b-bundles' AND status = 'processed'"))).scalar_one()
    assert claimed == 79
    assert [(row.event_id, row.key, row.value) for row in letters] == [
        (poisoned.id, poisoned.key.encode(), poisoned.value())]
    assert BUNDLE_HEADER not in {name for name, _ in letters[0].headers}
