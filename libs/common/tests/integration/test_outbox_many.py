"""Tx.emit_many (bulk paths): the same outbox rows as one Tx.emit per payload, in one statement, in order."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text

from o2c_common.db import Database
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.tx import Transactions


def issued(number: str) -> InvoiceIssued:
    return InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id="C-1",
                         currency="USD", amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2013, 1, 2),
                         due_date=date(2013, 2, 1), issued_at=datetime(2026, 12, 3, tzinfo=UTC))


async def test_emit_many_writes_the_rows_emit_writes_in_order(pg_db: Database) -> None:
    transactions = Transactions(db=pg_db, source="o2c/invoicing", slots=16)
    one, many = issued("H-1"), [issued(f"H-{n}") for n in range(2, 6)]
    async with transactions.begin("system:test") as tx:
        single = await tx.emit(one)
        bulk = await tx.emit_many(many)
        assert await tx.emit_many([]) == []
    query = "SELECT event_id, topic, key, slot, event_type, headers, payload FROM outbox ORDER BY id"
    async with pg_db.unit_of_work() as session:
        rows = (await session.execute(text(query))).all()
    assert [row.event_id for row in rows] == [single.id, *(event.id for event in bulk)]
    assert [row.payload for row in rows[1:]] == [event.value() for event in bulk]
    first, second = rows[0], rows[1]
    assert (second.topic, second.event_type) == (first.topic, first.event_type)
    assert {k for k, _ in second.headers} == {k for k, _ in first.headers}
    assert dict(second.headers)["ce_id"] == str(bulk[0].id) and second.key == str(many[0].invoice_id)
    assert all(0 <= row.slot < 16 for row in rows)
