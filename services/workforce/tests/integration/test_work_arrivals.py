"""Arrivals of a consumer's batch in one statement: an item's first arrival wins (its team, the first one known),
an item completed before it arrived gets its handling time, and a batch is one INSERT whatever its size."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from o2c_common.events.contracts.collections import PaymentReceived
from o2c_common.events.contracts.invoicing import InvoiceIssued, InvoiceSubmitted
from o2c_common.events.examples import example_payload
from services.workforce.tests.conftest import NOW, Service

pytestmark = pytest.mark.integration


async def test_a_batch_of_arrivals_is_one_statement_and_the_first_arrival_of_an_item_wins(service: Service) -> None:
    await service.org()
    submitted = uuid.uuid4()  # submitted (completed) before its issue (arrival) is heard
    await service.handle(example_payload(InvoiceSubmitted, invoice_id=submitted, owning_team="vendor-b",
                                         submitted_by="ben", submitted_at=NOW))
    twice, payments = uuid.uuid4(), [uuid.uuid4() for _ in range(50)]
    sent: list[tuple[str, bool]] = []
    engine = service.app.state.db.engine.sync_engine
    listener = lambda *args: sent.append((args[2], args[5]))  # noqa: E731 - (conn, cursor, statement, …, executemany)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        await service.handle_batch([
            example_payload(InvoiceIssued, invoice_id=twice, owning_team=None, issued_at=NOW - timedelta(hours=2)),
            example_payload(InvoiceIssued, invoice_id=submitted, owning_team="vendor-b",
                            issued_at=NOW - timedelta(minutes=45)),
            example_payload(InvoiceIssued, invoice_id=twice, owning_team="vendor-a", issued_at=NOW),
        ])
        await service.handle_batch([example_payload(PaymentReceived, payment_id=p, owning_team="vendor-a",
                                                    received_at=NOW) for p in payments])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # one statement per batch (3 and 50 arrivals), not one per arrival sent together
    assert [many for statement, many in sent if "INSERT INTO work_items" in statement] == [False, False]
    async with service.app.state.db.engine.connect() as conn:
        rows = {r.item_key: r for r in (await conn.execute(text(
            "SELECT item_key, owning_team, arrived_at, handling_minutes FROM work_items"))).all()}
    assert (rows[str(twice)].arrived_at, rows[str(twice)].owning_team) == (NOW - timedelta(hours=2), "vendor-a")
    assert rows[str(submitted)].handling_minutes == 45
    assert sum(rows[str(p)].arrived_at == NOW for p in payments) == 50
