"""Transactions.each_statement: every statement a transaction of its own, committed when it ends (no lock outlives
it). Tx.audit_and_emit_filled with a guarded fill: when the fill's CTE returns no row, the statement writes nothing
at all (no audit entry, no event, no ``also`` row); when it returns one, its value is written in the event and the
audit entry."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, cast, text, update

from o2c_common.db import Database
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.outbox.writer import Fill
from o2c_common.tx import Transactions

COUNTERS = Table("test_guarded_counters", MetaData(), Column("id", Integer, primary_key=True),
                 Column("n", Integer, nullable=False))
HISTORY = Table("test_guarded_history", MetaData(), Column("id", Integer, primary_key=True), Column("note", Text))


def issued(number: str) -> InvoiceIssued:
    return InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id="C-1",
                         currency="USD", amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2026, 1, 2),
                         due_date=date(2026, 2, 1), issued_at=datetime(2026, 12, 5, tzinfo=UTC))


def bumped_if(expected: int) -> Fill:
    """The counter's next value, taken only while it still holds ``expected``."""
    cte = (update(COUNTERS).where(COUNTERS.c.id == 1, COUNTERS.c.n == bindparam("expected"))
           .values(n=COUNTERS.c.n + 1).returning(cast(COUNTERS.c.n, Text).label("value"), COUNTERS.c.n)
           .cte("bumped"))
    return Fill(cte, {"expected": expected})


async def counts(db: Database) -> tuple[int, int, int, int]:
    async with db.unit_of_work() as session:
        row = (await session.execute(text(
            "SELECT (SELECT n FROM test_guarded_counters), (SELECT count(*) FROM audit_log),"
            " (SELECT count(*) FROM outbox), (SELECT count(*) FROM test_guarded_history)"))).one()
    return tuple(row)  # type: ignore[return-value]


@pytest.fixture
async def db(pg_db: Database) -> Database:
    async with pg_db.engine.begin() as conn:
        await conn.run_sync(COUNTERS.metadata.create_all)
        await conn.run_sync(HISTORY.metadata.create_all)
        await conn.execute(COUNTERS.insert().values(id=1, n=7))
    return pg_db


async def test_a_guard_that_fails_writes_nothing_and_one_that_holds_writes_its_value(db: Database) -> None:
    transactions = Transactions(db=db, source="o2c/invoicing", slots=16)
    async with transactions.each_statement("system:test") as tx:
        for expected in (6, 7):
            fill = bumped_if(expected)
            taken = await tx.audit_and_emit_filled(fill, "thing.numbered", issued(fill.token), entity_type="thing",
                                                   entity_id=1, after={"number": fill.token},
                                                   also=(HISTORY, {"note": f"expected {expected}"}))
            if expected == 6:
                assert taken is None
                assert await counts(db) == (7, 0, 0, 0)  # the guard did not hold: nothing at all
    assert taken is not None and (taken.value, taken.n) == ("8", 8)
    assert await counts(db) == (8, 1, 1, 1)
    async with db.unit_of_work() as session:
        after = (await session.execute(text("SELECT after FROM audit_log"))).scalar_one()
        payload = (await session.execute(text("SELECT convert_from(payload, 'UTF8') FROM outbox"))).scalar_one()
    assert after == {"number": "8"} and '"invoice_number":"8"' in payload.replace(" ", "")


async def test_each_statement_is_committed_when_it_ends(db: Database) -> None:
    transactions = Transactions(db=db, source="o2c/invoicing", slots=16)
    with pytest.raises(RuntimeError, match="after the write"):
        async with transactions.each_statement("system:test") as tx:
            await tx.audit_and_emit("thing.done", issued("N-1"), entity_type="thing", entity_id=1)
            assert (await counts(db))[1:3] == (1, 1)  # seen by another connection before the block ends
            raise RuntimeError("after the write")
    assert (await counts(db))[1:3] == (1, 1)  # and not rolled back by an error after it


async def test_a_unit_of_work_of_single_statements_has_no_batches(db: Database) -> None:
    class Rows:
        async def flush(self, tx: object) -> None:
            raise AssertionError("never written")

    transactions = Transactions(db=db, source="o2c/invoicing", slots=16)
    with pytest.raises(RuntimeError, match="no batches"):
        async with transactions.each_statement("system:test") as tx:
            tx.batch(Rows)
