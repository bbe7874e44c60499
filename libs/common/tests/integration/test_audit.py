"""The audit trail against real PostgreSQL: JSON-safe snapshots, the caller's transaction, the
append-only trigger."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from pydantic import BaseModel
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from o2c_common.audit import list_audit_trail, record_audit
from o2c_common.auth import Principal
from o2c_common.db import Database, audit_log_table
from o2c_common.observability import correlation_scope


class Snapshot(BaseModel):
    status: str
    total: Decimal


async def test_record_and_read_back_with_json_safe_values(pg_db: Database) -> None:
    invoice_id = uuid.uuid4()
    due = dt.date(2026, 4, 30)
    actor = Principal(subject="alice", roles=frozenset({"billing_approver"}))
    with correlation_scope("corr-42"):
        async with pg_db.unit_of_work() as session:
            first = await record_audit(
                session,
                actor=actor,
                action="invoice.approved",
                entity_type="invoice",
                entity_id=invoice_id,
                reason="checked PO",
                before=Snapshot(status="pending_approval", total=Decimal("1250.10")),
                after={"status": "approved", "total": Decimal("1250.10"), "due": due, "approver": invoice_id},
            )
            second = await record_audit(
                session, actor="system:dunning", action="invoice.noted", entity_type="invoice", entity_id=invoice_id
            )
            await record_audit(session, actor="bob", action="x", entity_type="invoice", entity_id="other")
    assert second > first
    async with pg_db.unit_of_work() as session:
        trail = await list_audit_trail(session, entity_type="invoice", entity_id=invoice_id)
    assert [e.action for e in trail] == ["invoice.approved", "invoice.noted"]
    entry = trail[0]
    assert entry.actor == "alice"
    assert entry.entity_id == str(invoice_id)
    assert entry.reason == "checked PO"
    assert entry.correlation_id == "corr-42"
    assert entry.before == {"status": "pending_approval", "total": "1250.10"}
    assert entry.after == {"status": "approved", "total": "1250.10", "due": "2026-04-30", "approver": str(invoice_id)}
    assert entry.occurred_at.tzinfo is not None
    assert trail[1].before is None and trail[1].actor == "system:dunning"


async def test_trail_paging_by_after_id(pg_db: Database) -> None:
    async with pg_db.unit_of_work() as session:
        for n in range(5):
            await record_audit(session, actor="a", action=f"step.{n}", entity_type="case", entity_id="c1")
    async with pg_db.unit_of_work() as session:
        page1 = await list_audit_trail(session, entity_type="case", entity_id="c1", limit=2)
        page2 = await list_audit_trail(session, entity_type="case", entity_id="c1", limit=2, after_id=page1[-1].id)
        rest = await list_audit_trail(session, entity_type="case", entity_id="c1", after_id=page2[-1].id)
    assert [e.action for e in page1 + page2 + rest] == [f"step.{n}" for n in range(5)]


async def test_record_audit_never_commits(pg_db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with pg_db.unit_of_work() as session:
            await record_audit(session, actor="a", action="x", entity_type="case", entity_id="c1")
            raise RuntimeError("the state change failed")
    async with pg_db.unit_of_work() as session:
        assert await list_audit_trail(session, entity_type="case", entity_id="c1") == []


@pytest.mark.parametrize(
    "statement",
    [
        update(audit_log_table).values(reason="rewritten"),
        delete(audit_log_table),
        text("TRUNCATE audit_log"),
    ],
    ids=["update", "delete", "truncate"],
)
async def test_audit_log_is_append_only(pg_db: Database, statement: object) -> None:
    async with pg_db.unit_of_work() as session:
        await record_audit(session, actor="a", action="x", entity_type="case", entity_id="c1", reason="original")
    with pytest.raises(DBAPIError, match="append-only"):
        async with pg_db.unit_of_work() as session:
            await session.execute(statement)  # type: ignore[call-overload]
    async with pg_db.unit_of_work() as session:
        [entry] = await list_audit_trail(session, entity_type="case", entity_id="c1")
    assert entry.reason == "original"
