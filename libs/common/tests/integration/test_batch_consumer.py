"""Batch handlers (o2c_common.inbox.handlers.Batched) against real PostgreSQL and the session's broker: a partition
batch's events of a type reach their handler in one call, in order; per-record handlers keep their place; a failing
batch falls back record by record so that only the poison event is dead-lettered; a replay applies nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceIssued
from o2c_common.events.examples import example_payload
from o2c_common.inbox import Batched, EventConsumer, Handlers
from o2c_common.kafka import ensure_topics, make_producer
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions, Tx

pytestmark = pytest.mark.integration


def issued(n: int, invoice_id: uuid.UUID | None = None) -> Event[InvoiceIssued]:
    payload = InvoiceIssued(
        invoice_id=invoice_id or uuid.uuid4(), invoice_number=f"{n:06d}", legal_entity="US01", customer_id="C1",
        currency="USD", amount=Decimal(n), tax_amount=Decimal(0), issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31), issued_at=datetime.now(UTC))
    return Event.new(payload, source=InvoiceIssued.expected_source())


def poisoned(name: str, *, count: int, at: int) -> tuple[str, uuid.UUID, list[Event[InvoiceIssued]]]:
    """A new topic's name and ``count`` issued invoices numbered from 1, the one numbered ``at`` the cursed one (a
    handler refuses it)."""
    cursed = uuid.uuid4()
    events = [issued(n, invoice_id=cursed if n == at else None) for n in range(1, count + 1)]
    return f"h16b.{name}.{uuid.uuid4().hex[:8]}", cursed, events


def approved(invoice_id: uuid.UUID) -> Event[InvoiceApproved]:
    payload = example_payload(InvoiceApproved, invoice_id=invoice_id)
    return Event.new(payload, source=InvoiceApproved.expected_source())


async def publish(bootstrap: str, topic: str, events: Sequence[Event], *, partitions: int = 1) -> None:
    await ensure_topics(bootstrap, [topic], partitions=partitions, replication_factor=1)
    producer = make_producer(ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name="h16b-test"))
    await producer.start()
    try:
        for event in events:
            await producer.send(topic, event.value(), key=event.key.encode(), headers=event.headers())
        await producer.flush()
    finally:
        await producer.stop()


@asynccontextmanager
async def consuming(db: Database, bootstrap: str, topic: str, handlers: Handlers | None, group: str = "h16b-batch",
                    offset_commit_interval_s: float = 0.5,
                    lanes: Sequence[tuple[str, Handlers]] = ()) -> AsyncIterator[EventConsumer]:
    dlq = make_producer(ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name="h16b-dlq"))
    await dlq.start()
    consumer = EventConsumer(group_id=group, topics=[topic], handlers=handlers, lanes=lanes,
                             transactions=Transactions(db=db, source="/o2c/test"), bootstrap_servers=bootstrap,
                             dlq_producer=dlq, max_attempts=2, retry_backoff=0.01,
                             session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS,
                             offset_commit_interval_s=offset_commit_interval_s)
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await dlq.stop()


async def until(probe: object, consumer: EventConsumer, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not probe():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, f"not reached: {consumer.stats}"
        await asyncio.sleep(0.05)


async def make_table(db: Database) -> None:
    async with db.unit_of_work() as s:
        await s.execute(text("CREATE TABLE IF NOT EXISTS h16b_rows (invoice_id uuid PRIMARY KEY, n int NOT NULL)"))
        await s.execute(text("TRUNCATE h16b_rows"))


async def insert_all(tx: Tx, events: Sequence[Event[InvoiceIssued]]) -> None:
    """Set-based: one statement for every event (a duplicate would break the primary key)."""
    await tx.session.execute(
        text("INSERT INTO h16b_rows SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:ns AS int[]))"),
        {"ids": [e.data.invoice_id for e in events], "ns": [int(e.data.invoice_number) for e in events]})


async def stored(db: Database) -> list[int]:
    async with db.unit_of_work() as s:
        return list((await s.execute(text("SELECT n FROM h16b_rows ORDER BY n"))).scalars())


class Held:
    """A batch handler that stores its events only once released: the fetch it was called for stays in flight."""

    def __init__(self) -> None:
        self.entered, self.release = asyncio.Event(), asyncio.Event()
        self.calls: list[list[int]] = []

    async def on_invoices_issued_store(self, tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        self.calls.append([int(e.data.invoice_number) for e in batch])
        self.entered.set()
        await self.release.wait()
        await insert_all(tx, batch)

    @property
    def handlers(self) -> Handlers:
        return {InvoiceIssued: Batched(self.on_invoices_issued_store)}


async def test_a_batch_handler_gets_its_events_in_one_call_in_order_and_a_replay_applies_none_twice(
        pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16b.batch.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 201)]
    await make_table(pg_db)
    calls: list[list[int]] = []

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        calls.append([int(e.data.invoice_number) for e in batch])
        await insert_all(tx, batch)

    await publish(infra.kafka_bootstrap, topic, events)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)}) as c:
        await until(lambda: c.stats.processed == 200, c)
    assert await stored(pg_db) == list(range(1, 201))
    assert [n for call in calls for n in call] == list(range(1, 201))  # every event once, in offset order
    assert len(calls) < 20  # whole partition batches, not one call per event

    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)},
                         group="h16b-batch") as c:  # the inbox keeps its claims: a second group run changes nothing
        await publish(infra.kafka_bootstrap, topic, events[:50])  # redelivered copies of applied events
        await until(lambda: c.stats.duplicates == 50, c)
        assert c.stats.processed == 0
    assert await stored(pg_db) == list(range(1, 201))


async def test_an_event_published_twice_in_one_fetch_is_handled_once(pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16b.twice.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 41)]
    await make_table(pg_db)
    calls: list[list[int]] = []

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        calls.append([int(e.data.invoice_number) for e in batch])
        await insert_all(tx, batch)  # a copy in the batch would break the primary key

    await publish(infra.kafka_bootstrap, topic, [*events[:20], events[7], *events[20:], events[30]])
    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)},
                         group="h16b-twice") as c:
        await until(lambda: c.stats.processed + c.stats.duplicates == 42, c)
        assert (c.stats.processed, c.stats.duplicates, c.stats.dead_lettered) == (40, 2, 0)
    assert await stored(pg_db) == list(range(1, 41))
    assert sorted(n for call in calls for n in call) == list(range(1, 41))


async def test_a_per_record_event_is_handled_after_the_earlier_events_of_a_batch_handler(
        pg_db: Database, infra: Infra) -> None:
    topic = f"h16b.order.{uuid.uuid4().hex[:8]}"
    first, second, third = issued(1), issued(2), issued(3)
    events: list[Event] = [first, second, approved(second.data.invoice_id), third]
    seen: list[str] = []

    async def on_invoices_issued_note(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        seen.append("issued " + ",".join(e.data.invoice_number for e in batch))

    async def on_invoice_approved_note(tx: Tx, event: Event[InvoiceApproved]) -> None:
        seen.append("approved")

    await publish(infra.kafka_bootstrap, topic, events)
    handlers: Handlers = {InvoiceIssued: Batched(on_invoices_issued_note), InvoiceApproved: on_invoice_approved_note}
    async with consuming(pg_db, infra.kafka_bootstrap, topic, handlers, group="h16b-order") as c:
        await until(lambda: c.stats.processed == 4, c)
    assert seen == ["issued 000001,000002", "approved", "issued 000003"]


async def test_a_failing_batch_falls_back_record_by_record_and_only_the_poison_event_is_dead_lettered(
        pg_db: Database, infra: Infra) -> None:
    topic, cursed, events = poisoned("poison", count=10, at=5)
    await make_table(pg_db)

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        if any(e.data.invoice_id == cursed for e in batch):
            raise RuntimeError("cannot store the cursed invoice")
        await insert_all(tx, batch)

    await publish(infra.kafka_bootstrap, topic, events)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)},
                         group="h16b-poison") as c:
        await until(lambda: c.stats.processed == 9 and c.stats.dead_lettered == 1, c)
    assert await stored(pg_db) == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    async with pg_db.unit_of_work() as s:
        letters = (await s.execute(text(
            "SELECT event_id, reason, error FROM dead_letters WHERE consumer = 'h16b-poison'"))).all()
    assert [(r.event_id, r.reason) for r in letters] == [(events[4].id, "handler_failed")]
    assert "cannot store the cursed invoice" in letters[0].error


async def test_the_partitions_of_a_fetch_share_one_transaction_and_a_poison_event_still_stops_only_itself(
        pg_db: Database, infra: Infra) -> None:
    topic, cursed, events = poisoned("fetch", count=300, at=151)
    await make_table(pg_db)
    transactions: dict[int, set[uuid.UUID]] = {}

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        if any(e.data.invoice_id == cursed for e in batch):
            raise RuntimeError("cannot store the cursed invoice")
        txid = (await tx.session.execute(text("SELECT txid_current()"))).scalar_one()
        transactions.setdefault(txid, set()).update(e.id for e in batch)
        await insert_all(tx, batch)

    await publish(infra.kafka_bootstrap, topic, events[:150], partitions=6)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)},
                         group="h16b-fetch") as c:
        await until(lambda: c.stats.processed == 150, c)
        async with pg_db.unit_of_work() as s:
            partition_of = dict((await s.execute(text(
                "SELECT event_id, partition FROM inbox WHERE consumer = 'h16b-fetch'"))).all())
        assert len(set(partition_of.values())) == 6
        spans = [len({partition_of[event_id] for event_id in ids}) for ids in transactions.values()]
        assert max(spans) > 1, spans  # a fetch's partitions were written in one transaction
        await publish(infra.kafka_bootstrap, topic, events[150:], partitions=6)
        await until(lambda: c.stats.processed == 299 and c.stats.dead_lettered == 1, c)
    assert await stored(pg_db) == [n for n in range(1, 301) if n != 151]  # the other partitions' events too


async def test_the_next_fetch_is_written_only_after_the_one_in_flight_is_committed(
        pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16b.flight.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 11)]
    await make_table(pg_db)
    held = Held()
    await publish(infra.kafka_bootstrap, topic, events[:5])
    async with consuming(pg_db, infra.kafka_bootstrap, topic, held.handlers, group="h16b-flight") as c:
        await asyncio.wait_for(held.entered.wait(), 60)  # the first fetch's transaction stays open
        await publish(infra.kafka_bootstrap, topic, events[5:])
        await asyncio.sleep(1.0)  # the second fetch arrives and is decoded meanwhile
        assert held.calls == [[1, 2, 3, 4, 5]] and await stored(pg_db) == []
        held.release.set()
        await until(lambda: c.stats.processed == 10, c)
    assert held.calls == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    assert await stored(pg_db) == list(range(1, 11))


async def test_a_fetch_in_flight_when_the_consumer_stops_is_written_and_its_offsets_committed(
        pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16b.stop.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 6)]
    await make_table(pg_db)
    held = Held()
    await publish(infra.kafka_bootstrap, topic, events)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, held.handlers, group="h16b-stop") as c:
        await asyncio.wait_for(held.entered.wait(), 60)
        c.stop()  # stopping while the fetch is being written
        await asyncio.sleep(0.5)
        held.release.set()
    assert await stored(pg_db) == [1, 2, 3, 4, 5]
    assert await committed(infra.kafka_bootstrap, "h16b-stop", TopicPartition(topic, 0)) == 5


async def test_a_fetch_decoded_before_a_rebalance_is_left_to_the_new_assignment_not_written(
        pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16b.rebalance.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 41)]
    await make_table(pg_db)
    held = Held()  # the first consumer's first fetch stays in flight until the second one has joined
    await publish(infra.kafka_bootstrap, topic, events[:20], partitions=4)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, held.handlers, group="h16b-rebalance") as first:
        await asyncio.wait_for(held.entered.wait(), 60)
        await publish(infra.kafka_bootstrap, topic, events[20:], partitions=4)
        await asyncio.sleep(1.0)  # fetched and decoded while the first fetch is written
        async with consuming(pg_db, infra.kafka_bootstrap, topic, held.handlers, group="h16b-rebalance") as second:
            await asyncio.sleep(1.0)  # joining: the first consumer's partitions are being revoked
            held.release.set()
            await until(lambda: first.stats.processed + second.stats.processed == 40, second)
            assert second.stats.processed > 0  # the rebalance gave the second consumer partitions
    # Had the first consumer written its second fetch after the rebalance, the second would have met those events
    # again in the partitions it took over (from the committed offsets): duplicates.
    assert first.stats.duplicates + second.stats.duplicates == 0, (first.stats, second.stats)
    assert await stored(pg_db) == list(range(1, 41))


async def test_consumed_and_skipped_records_are_counted_a_fetch_at_a_time(pg_db: Database, infra: Infra) -> None:
    topic = f"h16b.metrics.{uuid.uuid4().hex[:8]}"
    events = [e for n in range(1, 101) for e in (issued(n), approved(uuid.uuid4()))]  # approvals: no handler here
    await make_table(pg_db)
    consumed: list[tuple[str, str, int]] = []
    skipped: list[tuple[str, str, int]] = []
    await publish(infra.kafka_bootstrap, topic, events)

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        await insert_all(tx, batch)

    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)},
                         group="h16b-metrics") as c:
        c.lanes[0]._on_consumed = lambda topic, group, n: consumed.append((topic, group, n))
        c.lanes[0]._on_skipped = lambda group, type_, n: skipped.append((group, type_, n))
        await until(lambda: c.stats.processed == 100 and c.stats.ignored == 100, c)
    assert {(t, g) for t, g, _ in consumed} == {(topic, "h16b-metrics")}
    assert sum(n for *_, n in consumed) == 200 and len(consumed) < 20  # once a fetch, not once a record
    assert {(g, t) for g, t, _ in skipped} == {("h16b-metrics", approved(uuid.uuid4()).type)}
    assert sum(n for *_, n in skipped) == 100 and len(skipped) < 20


async def committed(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        return await probe.committed(tp)
    finally:
        await probe.stop()


async def test_written_offsets_are_committed_when_the_group_goes_quiet_within_a_long_commit_interval(
        pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16b.offsets.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 31)]
    await make_table(pg_db)
    tp = TopicPartition(topic, 0)

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        await insert_all(tx, batch)

    await publish(infra.kafka_bootstrap, topic, events[:10])  # the topic, with one partition
    async with consuming(pg_db, infra.kafka_bootstrap, topic, {InvoiceIssued: Batched(on_invoices_issued_store)},
                         group="h16b-offsets", offset_commit_interval_s=60) as c:
        for done in (10, 20, 30):  # three bursts, each written before the group goes quiet again
            if done > 10:
                await publish(infra.kafka_bootstrap, topic, events[done - 10:done])
            await until(lambda done=done: c.stats.processed == done, c)  # type: ignore[misc]
        deadline = asyncio.get_running_loop().time() + 30
        while await committed(infra.kafka_bootstrap, "h16b-offsets", tp) != 30:
            assert asyncio.get_running_loop().time() < deadline, "the written offsets were not committed"
            await asyncio.sleep(0.2)
    assert await stored(pg_db) == list(range(1, 31))
