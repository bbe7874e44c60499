"""The kpi projection's hottest types have batch handlers: handed whole partition batches (as the consumer's fast
path does, o2c_common.inbox.handlers.handle_in_order), they write the same read models and the same KPIs as the
handlers driven one event at a time."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, invoicing as inv
from o2c_common.inbox import Batched
from o2c_common.inbox.handlers import AnyHandler, handle_in_order
from o2c_common.tx import Tx
from o2c_kpi.facts.handlers import HANDLERS
from services.kpi.tests.integration.conftest import ingest, transactions
from services.kpi.tests.integration.test_kpi_consumer import all_kpis, dump, events

pytestmark = pytest.mark.integration

HOT = (inv.InvoiceIssued, col.ReceivableChanged, col.PaymentReceived, col.PaymentApplied)


async def ingest_batched(db: Database, items: Sequence[Event], *, batch: int = 500) -> list[int]:
    """Every ``batch`` events in one transaction, handed over as the consumer's fast path does; returns the number
    of events each batch handler call received."""
    sizes: list[int] = []

    def counting(handler: AnyHandler) -> AnyHandler:
        if not isinstance(handler, Batched):
            return handler
        inner = handler.handler

        async def counted(tx: Tx, events: Sequence[Event]) -> None:
            sizes.append(len(events))
            await inner(tx, events)

        return Batched(counted)

    wrapped = {t: counting(h) for t, h in HANDLERS.items()}
    for i in range(0, len(items), batch):
        work = [(e, wrapped[type(e.data)]) for e in items[i:i + batch] if type(e.data) in wrapped]
        async with transactions(db).begin("system:kpi") as tx:
            await handle_in_order(tx, work)
    return sizes


async def test_batch_handlers_write_what_one_event_at_a_time_writes(kpi_db: Database, other_db: Database) -> None:
    assert all(isinstance(HANDLERS[t], Batched) for t in HOT)
    items = events()
    hot = sum(1 for e in items if isinstance(e.data, HOT))
    await ingest(other_db, items, batch=1)  # one event per transaction, each handler called with one event
    sizes = await ingest_batched(kpi_db, items)
    assert sum(sizes) == hot and len(sizes) < hot  # the hot events went in groups, none lost or repeated
    assert await dump(kpi_db) == await dump(other_db)
    assert await all_kpis(kpi_db) == await all_kpis(other_db)
