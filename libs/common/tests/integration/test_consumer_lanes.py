"""Lanes (o2c_common.inbox.lane): several readers of one consumer group's fetches against real PostgreSQL and the
session's broker. Each lane takes every event once in its own transaction, inbox rows and dead letters; a poison event
for one lane stops only that lane's copy of it. A group that replaces groups of its lanes' names starts each partition
where the slowest of them stopped."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from aiokafka import TopicPartition
from sqlalchemy import text

from libs.common.tests.integration.test_batch_consumer import (
    committed,
    consuming,
    insert_all,
    issued,
    make_table,
    poisoned,
    publish,
    stored,
    until,
)
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.inbox import Batched, Handlers
from o2c_common.inbox.offsets import take_over
from o2c_common.tx import Tx

pytestmark = pytest.mark.integration


def recording(into: list[int], *, refuse: uuid.UUID | None = None) -> Handlers:
    async def on_invoices_issued_note(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        if any(e.data.invoice_id == refuse for e in batch):
            raise RuntimeError("cannot take the cursed invoice")
        into.extend(int(e.data.invoice_number) for e in batch)

    return {InvoiceIssued: Batched(on_invoices_issued_note)}


async def inbox_of(db: Database, consumer: str) -> dict[str, int]:
    async with db.unit_of_work() as s:
        rows = await s.execute(text("SELECT status, count(*) FROM inbox WHERE consumer = :c GROUP BY status"),
                               {"c": consumer})
        return {status: n for status, n in rows.all()}


async def test_each_lane_takes_every_event_once_and_a_poison_event_stops_only_its_lanes_copy(
        pg_db: Database, infra: Infra) -> None:
    topic, cursed, events = poisoned("lanes", count=10, at=5)
    group, a, b = (f"h16b-lanes-{uuid.uuid4().hex[:6]}{suffix}" for suffix in ("", "-a", "-b"))
    await make_table(pg_db)
    taken_by_b: list[int] = []

    async def on_invoices_issued_store(tx: Tx, batch: Sequence[Event[InvoiceIssued]]) -> None:
        await insert_all(tx, batch)

    await publish(infra.kafka_bootstrap, topic, events, partitions=2)
    lanes = [(a, {InvoiceIssued: Batched(on_invoices_issued_store)}), (b, recording(taken_by_b, refuse=cursed))]
    async with consuming(pg_db, infra.kafka_bootstrap, topic, None, group=group, lanes=lanes) as c:
        lane_a, lane_b = c.lanes
        await until(lambda: lane_a.stats.processed == 10 and lane_b.stats.processed + lane_b.stats.dead_lettered == 10,
                    c)

    assert await stored(pg_db) == list(range(1, 11))  # lane a took the event lane b refused
    assert sorted(taken_by_b) == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    assert (lane_b.stats.processed, lane_b.stats.dead_lettered, lane_a.stats.dead_lettered) == (9, 1, 0)
    assert await inbox_of(pg_db, a) == {"processed": 10}
    assert await inbox_of(pg_db, b) == {"processed": 9, "dead_lettered": 1}
    async with pg_db.unit_of_work() as s:
        letters = (await s.execute(text("SELECT consumer, event_id FROM dead_letters WHERE consumer IN (:a, :b)"),
                                   {"a": a, "b": b})).all()
    assert [(r.consumer, r.event_id) for r in letters] == [(b, events[4].id)]
    # one group on the broker: its offsets are committed, the lanes' names are no groups there
    ends = [await committed(infra.kafka_bootstrap, group, TopicPartition(topic, p)) for p in (0, 1)]
    assert all(end is not None and end > 0 for end in ends)
    assert await committed(infra.kafka_bootstrap, a, TopicPartition(topic, 0)) is None


async def test_a_group_replacing_its_lanes_groups_starts_where_the_slowest_stopped(
        pg_db: Database, infra: Infra) -> None:
    topic = f"h16b.takeover.{uuid.uuid4().hex[:8]}"
    group, a, b = (f"h16b-takeover-{uuid.uuid4().hex[:6]}{suffix}" for suffix in ("", "-a", "-b"))
    first, then = [issued(n) for n in range(1, 11)], [issued(n) for n in range(11, 21)]
    before_a: list[int] = []
    before_b: list[int] = []
    await publish(infra.kafka_bootstrap, topic, first)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, recording(before_b), group=b) as c:
        await until(lambda: c.stats.processed == 10, c)  # b stops after the first ten
    await publish(infra.kafka_bootstrap, topic, then)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, recording(before_a), group=a) as c:
        await until(lambda: c.stats.processed == 20, c)  # a read all twenty

    after_a: list[int] = []
    after_b: list[int] = []
    async with consuming(pg_db, infra.kafka_bootstrap, topic, None, group=group,
                         lanes=[(a, recording(after_a)), (b, recording(after_b))]) as c:
        lane_a, lane_b = c.lanes
        await until(lambda: lane_b.stats.processed == 10 and lane_a.stats.duplicates == 10, c)

    assert sorted(after_b) == list(range(11, 21))  # b goes on where it stopped: nothing missed, nothing twice
    assert after_a == [] and lane_a.stats.processed == 0  # a reads from b's offset, not the first: its inbox skips
    assert await committed(infra.kafka_bootstrap, group, TopicPartition(topic, 0)) == \
        await committed(infra.kafka_bootstrap, a, TopicPartition(topic, 0))

    # started again, the group goes on from its own offsets, not from b's (which stayed at the tenth record)
    await publish(infra.kafka_bootstrap, topic, [issued(n) for n in range(21, 26)])
    async with consuming(pg_db, infra.kafka_bootstrap, topic, None, group=group,
                         lanes=[(a, recording(after_a)), (b, recording(after_b))]) as c:
        await until(lambda: c.lanes[1].stats.processed == 5, c)
    assert sorted(after_b) == list(range(11, 26)) and c.lanes[1].stats.duplicates == 0


def test_take_over_starts_at_the_lowest_offset_of_the_groups_that_read_the_topic() -> None:
    orders, letters = TopicPartition("orders", 0), TopicPartition("letters", 0)
    readers = {"a": frozenset({"orders", "letters"}), "b": frozenset({"orders"})}

    assert take_over([orders, letters], readers, {"a": {orders: 40, letters: 7}, "b": {orders: 25}}) == \
        {orders: 25, letters: 7}  # letters: only a read them
    # a reader of the topic that never committed: from the first record (nothing in the answer)
    assert take_over([orders], readers, {"a": {orders: 40}, "b": {}}) == {}
    assert take_over([TopicPartition("other", 0)], readers, {"a": {}, "b": {}}) == {}
