"""Tx.emit_many (bulk paths): the events one Tx.emit per payload writes, in one statement, bundled by topic, type and
slot (o2c_common.events.bundle).
Tx.audit_and_emit: the rows of Tx.audit then Tx.emit, in one statement."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, event, text
from sqlalchemy.dialects.postgresql import UUID

from o2c_common.buffered import buffering
from o2c_common.db import Database
from o2c_common.events.bundle import row_events
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.observability.correlation import correlation_scope
from o2c_common.outbox.writer import slot_for
from o2c_common.tx import Transactions


def issued(number: str) -> InvoiceIssued:
    return InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id="C-1",
                         currency="USD", amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2013, 1, 2),
                         due_date=date(2013, 2, 1), issued_at=datetime(2026, 12, 3, tzinfo=UTC))


async def test_emit_many_writes_the_rows_emit_writes_in_order(pg_db: Database) -> None:
    transactions = Transactions(db=pg_db, source="o2c/invoicing", slots=16)
    one, many = issued("H-1"), [issued(f"H-{n}") for n in range(2, 42)]  # 40 in 16 slots: some bundled
    async with transactions.begin("system:test") as tx:
        single = await tx.emit(one)
        bulk = await tx.emit_many(many)
        assert await tx.emit_many([]) == []
    query = "SELECT event_id, topic, key, slot, event_type, headers, payload FROM outbox ORDER BY id"
    async with pg_db.unit_of_work() as session:
        rows = (await session.execute(text(query))).all()
    members = [(uuid.UUID(dict(json.loads(h))["ce_id"]), dict(json.loads(h))["ce_subject"], row.slot, row.topic,
                event_type, h, value)  # a bundle's members, as a plain row would hold them (o2c_common.events.bundle)
               for row in rows[1:] for event_type, h, value in row_events(row.event_type, row.headers, row.payload)]
    assert rows[0].event_id == single.id
    assert len(rows) < 1 + len(bulk)
    assert sorted(m[0] for m in members) == sorted(event.id for event in bulk)
    by_id = {m[0]: m for m in members}
    for fact in bulk:
        _, key, slot, topic, event_type, headers, payload = by_id[fact.id]
        assert (key, slot, topic, event_type, payload) == (
            fact.key, slot_for(fact.key, 16), rows[0].topic, rows[0].event_type, fact.value())
        assert json.loads(headers) == [list(pair) for pair in fact.header_pairs()]
    assert {k for k, _ in rows[0].headers} == {k for k, _ in single.header_pairs()}
    assert all(0 <= row.slot < 16 for row in rows)


AUDIT_QUERY = "SELECT actor, action, entity_type, entity_id, reason, before, after, correlation_id FROM audit_log"
OUTBOX_QUERY = "SELECT topic, key, slot, event_type, headers, payload FROM outbox"


async def test_audit_and_emit_writes_the_rows_audit_then_emit_write(pg_db: Database) -> None:
    transactions = Transactions(db=pg_db, source="o2c/invoicing", slots=16)
    fact = issued("H-7")
    with correlation_scope("corr-7"):
        async with transactions.begin("system:test") as tx:
            apart = await tx.emit(fact)
            entry_id = await tx.audit("invoice.issued", entity_type="invoice", entity_id=fact.invoice_id,
                                      reason="r", before={"status": "approved"}, after={"total": Decimal("10.00")})
            together = await tx.audit_and_emit("invoice.issued", fact, entity_type="invoice",
                                               entity_id=fact.invoice_id, reason="r", before={"status": "approved"},
                                               after={"total": Decimal("10.00")})
    async with pg_db.unit_of_work() as session:
        audits = (await session.execute(text(f"{AUDIT_QUERY} ORDER BY id"))).all()
        ids = (await session.execute(text("SELECT id FROM audit_log ORDER BY id"))).scalars().all()
        events = (await session.execute(text(f"{OUTBOX_QUERY} ORDER BY id"))).all()
        event_ids = (await session.execute(text("SELECT event_id FROM outbox ORDER BY id"))).scalars().all()
    assert len(audits) == 2 and audits[0] == audits[1]
    assert audits[1].actor == "system:test" and audits[1].correlation_id == "corr-7"
    assert ids[0] == entry_id and ids[1] > entry_id
    assert event_ids == [apart.id, together.id]
    first, second = events
    assert (second.topic, second.key, second.slot, second.event_type) == (first.topic, first.key, first.slot,
                                                                          first.event_type)
    assert dict(second.headers)["ce_correlationid"] == "corr-7"
    assert dict(second.headers)["ce_id"] == str(together.id)


async def test_audit_and_emit_rolled_back_leaves_neither_row(pg_db: Database) -> None:
    transactions = Transactions(db=pg_db, source="o2c/invoicing", slots=16)
    fact = issued("H-8")
    try:
        async with transactions.begin("system:test") as tx:
            await tx.audit_and_emit("invoice.issued", fact, entity_type="invoice", entity_id=fact.invoice_id)
            raise RuntimeError("the transition fails after writing")
    except RuntimeError:
        pass
    async with pg_db.unit_of_work() as session:
        assert (await session.execute(text("SELECT count(*) FROM audit_log"))).scalar_one() == 0
        assert (await session.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == 0


async def test_audit_and_emit_in_a_buffered_unit_of_work_waits_for_its_end(pg_db: Database) -> None:
    transactions = Transactions(db=pg_db, source="o2c/invoicing", slots=16)
    fact = issued("H-9")
    count = "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM outbox)"
    async with transactions.begin("system:test") as tx:
        async with buffering(tx) as buffered:
            event = await buffered.audit_and_emit("invoice.issued", fact, entity_type="invoice",
                                                  entity_id=fact.invoice_id)
            assert tuple((await tx.session.execute(text(count))).one()) == (0, 0)
        assert tuple((await tx.session.execute(text(count))).one()) == (1, 1)
    async with pg_db.unit_of_work() as session:
        assert (await session.execute(text("SELECT event_id FROM outbox"))).scalar_one() == event.id


HISTORY = Table("test_status_history", MetaData(), Column("id", Integer, primary_key=True),
                Column("invoice_id", UUID(as_uuid=True)), Column("to_status", Text), Column("at", DateTime(True)))


async def test_audit_and_emit_also_writes_the_state_changes_own_row_in_the_same_statement(pg_db: Database) -> None:
    transactions = Transactions(db=pg_db, source="o2c/invoicing", slots=16)
    fact, at = issued("H-10"), datetime(2026, 12, 5, 2, 30, tzinfo=UTC)
    async with pg_db.unit_of_work() as session:
        await session.execute(text("CREATE TABLE test_status_history "
                                   "(id serial PRIMARY KEY, invoice_id uuid, to_status text, at timestamptz)"))
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    listen = (pg_db.engine.sync_engine, "before_cursor_execute", record)
    event.listen(*listen)
    try:
        async with transactions.begin("system:test") as tx:
            await tx.audit_and_emit("invoice.issued", fact, entity_type="invoice", entity_id=fact.invoice_id,
                                    also=(HISTORY, {"invoice_id": fact.invoice_id, "to_status": "issued", "at": at}))
            async with buffering(tx) as buffered:
                await buffered.audit_and_emit("invoice.issued", fact, entity_type="invoice",
                                              entity_id=fact.invoice_id,
                                              also=(HISTORY, {"invoice_id": fact.invoice_id, "to_status": "paid",
                                                              "at": at}))
    finally:
        event.remove(*listen)
    assert statements[0].startswith("WITH audit_entry AS") and "also_row AS" in statements[0]
    async with pg_db.unit_of_work() as session:
        rows = (await session.execute(text("SELECT invoice_id, to_status, at FROM test_status_history ORDER BY id"))
                ).all()
        counts = (await session.execute(text("SELECT (SELECT count(*) FROM audit_log), "
                                             "(SELECT count(*) FROM outbox)"))).one()
    assert [tuple(r) for r in rows] == [(fact.invoice_id, "issued", at), (fact.invoice_id, "paid", at)]
    assert tuple(counts) == (2, 2)
