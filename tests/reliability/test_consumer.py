"""Idempotent consumer against real PostgreSQL and the real broker: replay, poison messages, broker outages."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.inbox.handlers import Batched
from o2c_common.kafka import dead_letter_topic
from o2c_common.kafka.dead_letters import list_dead_letters, replay_dead_letters
from o2c_common.outbox import OutboxRelay
from o2c_common.tx import Tx

from .helpers import (
    SOURCE,
    TOPIC,
    consumer,
    create_topics,
    eventually,
    issued,
    producer_factory,
    running,
    write_events,
)

GROUP = "reliability"


async def create_totals(db: Database) -> None:
    async with db.unit_of_work() as s:
        await s.execute(text("CREATE TABLE totals (k text PRIMARY KEY, amount numeric NOT NULL, n int NOT NULL)"))


async def add_to_total(tx: Tx, event: Event[InvoiceIssued]) -> None:
    """Not idempotent by itself: only the inbox keeps a redelivery from counting twice."""
    await tx.session.execute(
        text("INSERT INTO totals VALUES ('all', :a, 1) ON CONFLICT (k) DO UPDATE "
             "SET amount = totals.amount + EXCLUDED.amount, n = totals.n + 1"),
        {"a": event.data.amount},
    )


async def totals(db: Database) -> tuple[object, ...]:
    async with db.unit_of_work() as s:
        row = (await s.execute(text("SELECT amount, n FROM totals WHERE k = 'all'"))).one_or_none()
    return tuple(row) if row else (0, 0)


async def publish(bootstrap: str, events: list[Event]) -> None:
    producer = producer_factory(bootstrap)()
    await producer.start()
    try:
        for e in events:
            await producer.send(e.topic, e.value(), key=e.key.encode(), headers=e.headers())
        await producer.flush()
    finally:
        await producer.stop()


async def test_replay_from_offset_zero_changes_nothing(pg_db: Database, own_broker: TansuBroker) -> None:
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_totals(pg_db)
    events = [issued(uuid.uuid4(), seq) for seq in range(300)]
    await publish(bootstrap, events)
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as c:
        await eventually(lambda: _is(c.stats.processed == 300))
    state = await totals(pg_db)
    assert state[1] == 300

    await _reset_group_to_zero(bootstrap)
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as c:
        await eventually(lambda: _is(c.stats.duplicates == 300), message=f"{c.stats}")
        assert c.stats.processed == 0
    assert await totals(pg_db) == state


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_consumer_keeps_going(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_totals(pg_db)
    cursed = uuid.uuid4()

    async def fails_for_cursed(tx: Tx, event: Event[InvoiceIssued]) -> None:
        if event.data.invoice_id == cursed:
            raise RuntimeError("cannot handle this invoice")
        await add_to_total(tx, event)

    before = [issued(uuid.uuid4(), 1) for _ in range(5)]
    after = [issued(uuid.uuid4(), 1) for _ in range(5)]
    producer = producer_factory(bootstrap)()
    await producer.start()
    try:
        for e in before:
            await producer.send_and_wait(TOPIC, e.value(), key=e.key.encode(), headers=e.headers())
        await producer.send_and_wait(TOPIC, b"{not json", key=b"k1", headers=[("ce_type", b"o2c.invoice.issued.v1")])
        bad = issued(cursed, 1)
        await producer.send_and_wait(TOPIC, bad.value(), key=bad.key.encode(), headers=bad.headers())
        for e in after:
            await producer.send_and_wait(TOPIC, e.value(), key=e.key.encode(), headers=e.headers())
    finally:
        await producer.stop()

    async with consumer(pg_db, bootstrap, {InvoiceIssued: fails_for_cursed}, max_attempts=3) as c:
        await eventually(lambda: _is(c.stats.processed == 10 and c.stats.dead_lettered == 2), message=f"{c.stats}")
    assert (await totals(pg_db))[1] == 10

    dead = await _read_all(bootstrap, dead_letter_topic(GROUP), expect=2)
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert reasons == ["handler_failed", "undecodable"]
    failed = next(r for r in dead if dict(r.headers)["dlq_reason"] == b"handler_failed")
    assert b"cannot handle this invoice" in dict(failed.headers)["dlq_error"]
    assert dict(failed.headers)["dlq_origin"].decode().startswith(f"{TOPIC}/")
    assert dict(failed.headers)["ce_id"] == str(bad.id).encode()  # the original headers travel along

    await _reset_group_to_zero(bootstrap)  # a replay does not dead-letter them again
    async with consumer(pg_db, bootstrap, {InvoiceIssued: fails_for_cursed}) as c:
        await eventually(lambda: _is(c.stats.duplicates == 12), message=f"{c.stats}")
        assert c.stats.dead_lettered == 0

    letters = await list_dead_letters(bootstrap, group=GROUP)
    assert sorted(d.reason for d in letters) == ["handler_failed", "undecodable"]
    await replay_dead_letters(bootstrap, [d for d in letters if d.reason == "handler_failed"], group=GROUP)
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as c:  # the handler is fixed now
        await eventually(lambda: _is(c.stats.processed == 1), message=f"{c.stats}")
    assert (await totals(pg_db))[1] == 11
    await replay_dead_letters(bootstrap, [d for d in letters if d.reason == "handler_failed"], group=GROUP)
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as c:  # a second replay changes nothing
        await eventually(lambda: _is(c.stats.duplicates >= 1), message=f"{c.stats}")
        assert c.stats.processed == 0
    assert (await totals(pg_db))[1] == 11


async def test_history_dead_lettered_before_its_handler_read_todays_work_only_is_settled_on_replay(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    """A lane registered ``Batched(..., history=False)`` skips imported history unread. One of its dead letters from
    before (when the handler still read history, and failed) replayed for the group settles its inbox row as
    processed, without calling the handler: skipped, it would stay dead-lettered for good."""
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    old = Event.new(issued(uuid.uuid4(), 1).data.model_copy(update={"historical": True}), source=SOURCE)

    async def fails(tx: Tx, event: Event[InvoiceIssued]) -> None:
        raise RuntimeError("cannot handle this invoice")

    await publish(bootstrap, [old])
    async with consumer(pg_db, bootstrap, {InvoiceIssued: fails}, max_attempts=1) as c:
        await eventually(lambda: _is(c.stats.dead_lettered == 1), message=f"{c.stats}")
    assert await _inbox_status(pg_db, old.id) == "dead_lettered"

    handled: list[Event[InvoiceIssued]] = []

    async def todays_work(tx: Tx, events: Sequence[Event[InvoiceIssued]]) -> None:
        handled.extend(events)

    letters = await list_dead_letters(bootstrap, group=GROUP)
    assert [d.event_id for d in letters] == [str(old.id)]
    await replay_dead_letters(bootstrap, letters, group=GROUP)
    async with consumer(pg_db, bootstrap, {InvoiceIssued: Batched(todays_work, history=False)}) as c:
        await eventually(lambda: _is(c.stats.ignored == 1), message=f"{c.stats}")
        assert (c.stats.processed, c.stats.dead_lettered) == (0, 0)
    assert handled == []
    assert await _inbox_status(pg_db, old.id) == "processed"


async def _inbox_status(db: Database, event_id: uuid.UUID) -> str | None:
    async with db.unit_of_work() as s:
        return (await s.execute(text("SELECT status FROM inbox WHERE consumer = :g AND event_id = :e"),
                                 {"g": GROUP, "e": event_id})).scalar_one_or_none()


async def test_broker_outage_while_writes_continue_loses_nothing(pg_db: Database, own_broker: TansuBroker) -> None:
    """The broker freezes (SIGSTOP) for a few seconds while the service keeps writing events."""
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_totals(pg_db)
    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=producer_factory(bootstrap), max_backoff=1)
    async with running(relay), consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as c:
        writer = asyncio.create_task(_write_steadily(pg_db, batches=40, keys=10))
        await eventually(lambda: _is(c.stats.processed > 0))
        assert own_broker.process is not None
        own_broker.process.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(4)
        finally:
            own_broker.process.send_signal(signal.SIGCONT)
        await writer
        await eventually(lambda: _is(c.stats.processed == 400), timeout=90, message=f"{c.stats}")
    assert (await totals(pg_db))[1] == 400


async def test_broker_restart_while_writes_continue_delivers_every_event(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    """The broker process is stopped and a new one started on the same port; writes never stop, and the
    relay rides through the restart.

    The local broker keeps everything in memory: a new process has empty logs, so a consumer that kept
    its positions across the restart would fetch past the new records (a real Kafka keeps logs, offsets
    and positions valid). The test therefore lets the consumer catch up and stops it with the broker, then
    starts the service's consumer again once the new broker is provisioned, as a restarted service would.
    Every event written while the broker is down or after it is back must arrive exactly once.
    """
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_totals(pg_db)
    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=producer_factory(bootstrap), max_backoff=1)
    async with running(relay):
        async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as before:
            await write_events(pg_db, keys=10, per_key=10)
            await eventually(lambda: _is(before.stats.processed == 100))
        own_broker.stop()
        writer = asyncio.create_task(_write_steadily(pg_db, batches=30, keys=10))
        await asyncio.sleep(3)
        own_broker.start()
        await create_topics(bootstrap)
        async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}) as after:
            await writer
            await eventually(lambda: _is(after.stats.processed == 300), timeout=90, message=f"{after.stats}")
        assert relay.published_total >= 400
    assert (await totals(pg_db))[1] == 400


async def _write_steadily(db: Database, *, batches: int, keys: int) -> None:
    for _ in range(batches):
        await write_events(db, keys=keys, per_key=1)
        await asyncio.sleep(0.2)


async def _is(value: bool) -> bool:
    return value


async def _reset_group_to_zero(bootstrap: str) -> None:
    """What `kafka-consumer-groups --reset-offsets --to-earliest` does, as a member of the group."""
    c = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    await c.start()
    try:
        for _ in range(200):
            if c.assignment():
                break
            await c.getmany(timeout_ms=100)
        assert c.assignment(), "no partitions assigned"
        await c.commit({tp: 0 for tp in c.assignment()})
    finally:
        await c.stop()


async def _read_all(bootstrap: str, topic: str, *, expect: int) -> list[object]:
    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                         group_id=None)
    await c.start()
    out: list[object] = []
    try:
        for _ in range(100):
            for records in (await c.getmany(timeout_ms=200)).values():
                out.extend(records)
            if len(out) >= expect:
                break
    finally:
        await c.stop()
    return out


__all__ = ["AIOKafkaProducer"]
