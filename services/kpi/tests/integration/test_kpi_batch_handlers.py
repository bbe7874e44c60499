"""The kpi projection's handlers only gather facts: handed whole partition batches (as the consumer's fast path does,
o2c_common.inbox.handlers.handle_in_order), or gathered ahead of the transaction that then adopts the facts
(handlers.gather_ahead), they write the same read models and the same KPIs as the handlers driven one event at a
time."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.inbox import Gathered
from o2c_common.inbox.handlers import AnyHandler, gather_ahead, handle_in_order
from o2c_common.tx import Gathering
from o2c_kpi.facts.handlers import HANDLERS
from services.kpi.tests.integration.conftest import ingest, transactions
from services.kpi.tests.integration.test_kpi_consumer import all_kpis, dump, events

pytestmark = pytest.mark.integration

async def ingest_batched(db: Database, items: Sequence[Event], *, batch: int = 500) -> list[int]:
    """Every ``batch`` events in one transaction, handed over as the consumer's fast path does; returns the number
    of events each batch handler call received."""
    sizes: list[int] = []

    def counting(handler: AnyHandler) -> AnyHandler:
        assert isinstance(handler, Gathered)
        inner = handler.handler

        async def counted(rows: Gathering, events: Sequence[Event]) -> None:
            sizes.append(len(events))
            await inner(rows, events)

        return Gathered(counted)

    wrapped = {t: counting(h) for t, h in HANDLERS.items()}
    for i in range(0, len(items), batch):
        work = [(e, wrapped[type(e.data)]) for e in items[i:i + batch] if type(e.data) in wrapped]
        async with transactions(db).begin("system:kpi") as tx:
            await handle_in_order(tx, work)
    return sizes


async def ingest_gathered_ahead(db: Database, items: Sequence[Event], *, batch: int = 500) -> None:
    """Every ``batch`` events' facts gathered and prepared before their transaction, which adopts them."""
    for i in range(0, len(items), batch):
        rows = await gather_ahead([(e, HANDLERS[type(e.data)]) for e in items[i:i + batch] if type(e.data) in HANDLERS])
        assert rows is not None
        async with transactions(db).begin("system:kpi") as tx:
            tx.adopt(rows)


async def test_batch_handlers_write_what_one_event_at_a_time_writes(kpi_db: Database, other_db: Database) -> None:
    assert all(isinstance(handler, Gathered) for handler in HANDLERS.values())
    items = events()
    handled = sum(1 for e in items if type(e.data) in HANDLERS)
    await ingest(other_db, items, batch=1)  # one event per transaction, each handler called with one event
    sizes = await ingest_batched(kpi_db, items)
    assert sum(sizes) == handled and len(sizes) < handled  # the events went in groups, none lost or repeated
    assert await dump(kpi_db) == await dump(other_db)
    assert await all_kpis(kpi_db) == await all_kpis(other_db)


async def test_facts_gathered_ahead_write_what_one_event_at_a_time_writes(kpi_db: Database, other_db: Database) -> None:
    items = events()
    await ingest(other_db, items, batch=1)
    await ingest_gathered_ahead(kpi_db, items)
    assert await dump(kpi_db) == await dump(other_db)
    assert await all_kpis(kpi_db) == await all_kpis(other_db)
