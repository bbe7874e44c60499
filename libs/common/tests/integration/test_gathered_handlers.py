"""Gathering handlers (o2c_common.inbox.handlers.Gathered) against real PostgreSQL and the session's broker: a fetch
whose events all have one is gathered and prepared before its transaction and written as gathered; an event claimed
before is not written again from rows gathered ahead; a failing gatherer leaves the fetch to the careful path, where
only the poison event is dead-lettered."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from libs.common.tests.integration.test_batch_consumer import consuming, issued, poisoned, publish, until
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.inbox import Gathered
from o2c_common.tx import Batches, Gathering, Tx

pytestmark = pytest.mark.integration


@dataclass
class Numbers:
    """A batch of (invoice id, number) rows, written by one INSERT into a table without a key: a row written twice
    stays twice."""

    rows: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    prepared: list[tuple[uuid.UUID, int]] | None = None

    def prepare(self) -> None:
        self.prepared = list(self.rows)

    async def flush(self, tx: Tx) -> None:
        rows = self.prepared if self.prepared is not None else self.rows
        if rows:
            await tx.session.execute(
                text("INSERT INTO h16g_rows SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:ns AS int[]))"),
                {"ids": [r[0] for r in rows], "ns": [r[1] for r in rows]})


class Gatherer:
    """Gathers each event's number; remembers whether each call was ahead of the transaction or in it."""

    def __init__(self, cursed: uuid.UUID | None = None) -> None:
        self.cursed = cursed
        self.ahead = self.in_tx = 0

    async def on_invoices_issued_gather_numbers(self, rows: Gathering, events: Sequence[Event[InvoiceIssued]]) -> None:
        if any(e.data.invoice_id == self.cursed for e in events):
            raise RuntimeError("cannot gather the cursed invoice")
        if isinstance(rows, Batches):
            self.ahead += 1
        else:
            self.in_tx += 1
        rows.batch(Numbers).rows.extend((e.data.invoice_id, int(e.data.invoice_number)) for e in events)

    @property
    def handlers(self) -> dict[type[InvoiceIssued], Gathered]:
        return {InvoiceIssued: Gathered(self.on_invoices_issued_gather_numbers)}


async def make_table(db: Database) -> None:
    async with db.unit_of_work() as s:
        await s.execute(text("CREATE TABLE IF NOT EXISTS h16g_rows (invoice_id uuid NOT NULL, n int NOT NULL)"))
        await s.execute(text("TRUNCATE h16g_rows"))


async def stored(db: Database) -> list[int]:
    async with db.unit_of_work() as s:
        return list((await s.execute(text("SELECT n FROM h16g_rows ORDER BY n"))).scalars())


async def test_a_fetch_of_gathering_handlers_is_gathered_ahead_and_written_once(pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16g.ahead.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 301)]
    await make_table(pg_db)
    gatherer = Gatherer()
    await publish(infra.kafka_bootstrap, topic, events, partitions=3)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, gatherer.handlers, group="h16g-ahead") as c:
        await until(lambda: c.stats.processed == 300, c)
    assert await stored(pg_db) == list(range(1, 301))
    assert gatherer.ahead > 0 and gatherer.in_tx == 0  # every fetch's rows were gathered before its transaction


async def test_an_event_claimed_before_is_not_written_again_from_rows_gathered_ahead(
        pg_db: Database, infra: Infra) -> None:
    topic, events = f"h16g.again.{uuid.uuid4().hex[:8]}", [issued(n) for n in range(1, 41)]
    await make_table(pg_db)
    first = Gatherer()
    await publish(infra.kafka_bootstrap, topic, events[:20])
    async with consuming(pg_db, infra.kafka_bootstrap, topic, first.handlers, group="h16g-again") as c:
        await until(lambda: c.stats.processed == 20, c)
    # Redelivered copies of 1-10 (as a relay that published twice would send them) ahead of 21-40, one fetch.
    await publish(infra.kafka_bootstrap, topic, [*events[:10], *events[20:]])
    again = Gatherer()
    async with consuming(pg_db, infra.kafka_bootstrap, topic, again.handlers, group="h16g-again") as c:
        await until(lambda: c.stats.processed + c.stats.duplicates == 30, c)
        assert (c.stats.processed, c.stats.duplicates) == (20, 10)
    assert await stored(pg_db) == list(range(1, 41))  # the rows gathered ahead held 1-10 again: not written
    assert again.in_tx > 0  # the new events were gathered again, in the transaction


async def test_a_failing_gatherer_leaves_the_fetch_to_the_careful_path_and_only_the_poison_event_is_dead_lettered(
        pg_db: Database, infra: Infra) -> None:
    topic, cursed, events = poisoned("gather", count=10, at=5)
    await make_table(pg_db)
    gatherer = Gatherer(cursed)
    await publish(infra.kafka_bootstrap, topic, events)
    async with consuming(pg_db, infra.kafka_bootstrap, topic, gatherer.handlers, group="h16g-poison") as c:
        await until(lambda: c.stats.processed == 9 and c.stats.dead_lettered == 1, c)
    assert await stored(pg_db) == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    async with pg_db.unit_of_work() as s:
        reasons = (await s.execute(text(
            "SELECT event_id, reason FROM dead_letters WHERE consumer = 'h16g-poison'"))).all()
    assert [tuple(r) for r in reasons] == [(events[4].id, "handler_failed")]
