"""Building blocks shared by the reliability tests."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS
from o2c_common.db import Database
from o2c_common.events import TOPICS, Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.inbox import EventConsumer, Handlers
from o2c_common.kafka import ensure_topics, read_from_start
from o2c_common.outbox import add_to_outbox
from o2c_common.tx import Transactions, Tx

SOURCE = InvoiceIssued.expected_source()  # "/o2c/invoicing": consumers refuse any other source
TOPIC = TOPICS["invoicing"]


def issued(invoice_id: uuid.UUID, seq: int) -> Event:
    """An invoice.issued event whose invoice_number carries a per-key sequence number."""
    payload = InvoiceIssued(
        invoice_id=invoice_id, invoice_number=f"{seq:06d}", legal_entity="US01", customer_id="C1",
        currency="USD", amount=Decimal("10.00") + seq, tax_amount=Decimal(0), issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31), issued_at=datetime.now(UTC),
    )
    return Event.new(payload, source=SOURCE)


async def write_events(db: Database, *, keys: int, per_key: int, slots: int = 16) -> list[uuid.UUID]:
    """Writes keys x per_key events to the outbox, interleaving keys, in transactions of 500."""
    ids = [uuid.uuid4() for _ in range(keys)]
    events = [issued(ids[k], seq) for seq in range(per_key) for k in range(keys)]
    for start in range(0, len(events), 500):
        async with db.unit_of_work() as session:
            for event in events[start : start + 500]:
                await add_to_outbox(session, event, slots=slots)
    return ids


async def create_topics(bootstrap: str) -> None:
    await ensure_topics(bootstrap, TOPICS.values(), partitions=6, replication_factor=1)


async def read_topic(bootstrap: str, *, expect: int, timeout: float = 60) -> list[Event]:
    """Reads every partition of the invoicing topic from its first offset until ``expect`` distinct events arrived
    (or timeout). Partitions assigned and positioned explicitly (``read_from_start``), no group; counted by id: a
    relay taking over re-sends what its predecessor sent but had not marked, and those copies must not stop the read
    early."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    out: list[Event] = []
    seen: set[object] = set()
    try:
        await consumer.topics()
        partitions = [TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC) or ())]
        await read_from_start(consumer, partitions)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(seen) < expect and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                events = [Event.from_kafka(r.key, r.value, r.headers) for r in records]
                out.extend(events)
                seen.update(e.id for e in events)
    finally:
        await consumer.stop()
    return out


async def not_on_topic(db: Database, events: list[Event]) -> list[tuple[object, ...]]:
    """Outbox rows (event_id, id, slot, key, published_at) whose event was not read from the topic: a failure's
    evidence."""
    seen = {e.id for e in events}
    async with db.unit_of_work() as s:
        rows = (await s.execute(text("SELECT event_id, id, slot, key, published_at FROM outbox ORDER BY id"))).all()
    return [tuple(r) for r in rows if r[0] not in seen]


def assert_ordered_per_key(events: list[Event]) -> None:
    """Within each key, sequence numbers never go backwards once seen (duplicates allowed)."""
    highest: dict[str, int] = {}
    for e in events:
        assert isinstance(e.data, InvoiceIssued)
        seq = int(e.data.invoice_number)
        last = highest.get(e.key, -1)
        assert seq <= last + 1, f"key {e.key}: got {seq} after {last} (gap or reorder)"
        highest[e.key] = max(last, seq)


async def unpublished(db: Database) -> int:
    async with db.unit_of_work() as s:
        return int((await s.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one())


async def create_receipts_table(db: Database) -> None:
    async with db.unit_of_work() as s:
        await s.execute(text(
            "CREATE TABLE receipts (invoice_id uuid, seq int, amount numeric, PRIMARY KEY (invoice_id, seq))"
        ))


async def record_receipt(tx: Tx, event: Event[InvoiceIssued]) -> None:
    """A handler whose effect a duplicate would break (primary key violation)."""
    await tx.session.execute(
        text("INSERT INTO receipts VALUES (:i, :s, :a)"),
        {"i": event.data.invoice_id, "s": int(event.data.invoice_number), "a": event.data.amount},
    )


_PRODUCER_SETTINGS: dict[str, Any] = dict(enable_idempotence=False, acks="all", linger_ms=2, request_timeout_ms=3000,
                                          retry_backoff_ms=100)


def producer_factory(bootstrap: str) -> Callable[[], AIOKafkaProducer]:
    return lambda: AIOKafkaProducer(bootstrap_servers=bootstrap, **_PRODUCER_SETTINGS)


class AckLog:
    """Where the broker said it stored each event: ce_id -> (producer number, partition, offset). A no-loss test's
    failure can then tell a record the broker acknowledged and does not serve from one that was never acknowledged."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.acks: dict[str, tuple[int, int, int]] = {}
        self._producers = 0

    def factory(self) -> Callable[[], AIOKafkaProducer]:
        def make() -> AIOKafkaProducer:
            self._producers += 1
            return _RecordingProducer(self, self._producers, bootstrap_servers=self.bootstrap, **_PRODUCER_SETTINGS)
        return make

    async def explain(self, missing: list[tuple[object, ...]]) -> list[str]:
        """For each outbox row not read: where it was acknowledged and what the broker serves at that position."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        lines = []
        try:
            await consumer.topics()
            for event_id, row_id, slot, *_ in missing:
                ack = self.acks.get(str(event_id))
                if ack is None:
                    lines.append(f"row {row_id} slot {slot}: never acknowledged")
                    continue
                producer, partition, offset = ack
                tp = TopicPartition(TOPIC, partition)
                consumer.assign([tp])
                consumer.seek(tp, offset)  # an explicit offset: no reset pending (see read_from_start)
                batch = await consumer.getmany(tp, timeout_ms=2000, max_records=1)
                records = batch.get(tp, [])
                there = (f"offset {records[0].offset} holds {dict(records[0].headers).get('ce_id', b'?').decode()}"
                         if records else "nothing served")
                lines.append(f"row {row_id} slot {slot}: producer {producer} acked p{partition}@{offset}; {there}")
        finally:
            await consumer.stop()
        return lines


class _RecordingProducer(AIOKafkaProducer):
    def __init__(self, log: AckLog, number: int, **settings: Any) -> None:
        super().__init__(**settings)
        self._log, self._number = log, number

    async def send(self, topic: str, value: Any = None, key: Any = None, partition: Any = None,
                   timestamp_ms: Any = None, headers: Any = None) -> asyncio.Future[Any]:
        future = await super().send(topic, value, key=key, partition=partition, timestamp_ms=timestamp_ms,
                                    headers=headers)
        event_id = dict(headers or ()).get("ce_id", b"").decode()

        def record(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                self._log.acks[event_id] = (self._number, done.result().partition, done.result().offset)
        future.add_done_callback(record)
        return future


@asynccontextmanager
async def running(worker: Any) -> AsyncIterator[Any]:
    """Runs an OutboxRelay or EventConsumer in a task for the duration of the block."""
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 15)


@asynccontextmanager
async def consumer(db: Database, bootstrap: str, handlers: Handlers, *, group: str = "reliability",
                   max_attempts: int = 3, topics: tuple[str, ...] = (TOPIC,)) -> AsyncIterator[EventConsumer]:
    dlq = producer_factory(bootstrap)()
    await dlq.start()
    c = EventConsumer(group_id=group, topics=list(topics), handlers=handlers,
                      transactions=Transactions(db=db, source="/o2c/reliability"),
                      bootstrap_servers=bootstrap, dlq_producer=dlq, max_attempts=max_attempts,
                      retry_backoff=0.01, session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS)
    try:
        async with running(c):
            yield c
    finally:
        await dlq.stop()


async def eventually(probe: Callable[[], Awaitable[object]], *, timeout: float = 60, message: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    last: object = None
    while asyncio.get_running_loop().time() < deadline:
        last = await probe()
        if last:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met in {timeout}s {message} (last: {last!r})")
