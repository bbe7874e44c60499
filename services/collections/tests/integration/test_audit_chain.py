"""Issue 13 item 12: the audit trail is chained by hash, the service runs as a role that can only append to it,
and tampering by the owner is found by `o2c audit verify`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from o2c_cli.main import app as cli
from o2c_cli.testing import Infra, serving
from o2c_collections.main import create_app
from o2c_collections.receivables.service import open_receivable
from o2c_common.audit import record_audit
from o2c_common.audit.log import audit_row, record_audits
from o2c_common.audit.verify import Anchor
from o2c_common.db import Database
from o2c_common.db.migrate import downgrade, upgrade
from o2c_common.events.contracts.invoicing import InvoiceIssued
from services.collections.tests.conftest import COLLECTOR, settings_for

pytestmark = pytest.mark.integration
SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Owned:
    owner_url: str
    service_url: str
    service: Database  # connected as the service role

    async def as_owner(self, *statements: str) -> None:
        engine = create_async_engine(self.owner_url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    async def audit(self, n: int, *, tag: str = "t") -> None:
        async with self.service.unit_of_work() as session:
            for i in range(n):
                await record_audit(session, actor="sue", action="test.done", entity_type="thing",
                                   entity_id=f"{tag}-{i}", reason="why", after={"amount": "1.50", "i": i})


async def verify(url: str, *extra: str) -> tuple[int, str]:
    """`o2c audit verify` as a person runs it (in a thread: it runs its own event loop)."""
    args = ["audit", "verify", "--service", "collections", "--database-url", url, *extra]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    return result.exit_code, " ".join(result.output.split()) + (f" {result.exception!r}" if result.exception else "")


@pytest_asyncio.fixture(loop_scope="session")
async def owned(infra: Infra) -> AsyncIterator[Owned]:
    name, owner_url, service_url = await infra.owned_database(SERVICE_DIR, "col_audit")
    db = Database(service_url, pool_size=5)
    try:
        yield Owned(owner_url, service_url, db)
    finally:
        await db.dispose()
        await infra.drop_database(name)


async def test_the_service_runs_as_its_role_and_every_audit_row_is_chained(infra: Infra, owned: Owned) -> None:
    settings = settings_for(owned.service_url, infra)
    app = create_app(settings)
    async with serving(app, base_url="http://collections") as client:
        fact = InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number="INV-A1", legal_entity="US01", customer_id="C-1",
                             currency="USD", amount=Decimal("125.00"), tax_amount=Decimal(0),
                             issue_date=date(2026, 1, 1), due_date=date(2026, 1, 31), issued_at=datetime.now(UTC),
                             owning_team=None)
        async with app.state.transactions.begin("system:collections") as tx:  # as the invoice.issued consumer
            await open_receivable(tx, fact=fact, event_id=uuid.uuid4())
        body = {"legal_entity": "US01", "customer_id": "C-1", "currency": "USD", "amount": "125.00",
                "promised_date": "2026-02-01"}
        response = await client.post("/promises", json=body, headers=COLLECTOR)
        assert response.status_code == 201, response.text
    async with owned.service.unit_of_work() as session:
        role = (await session.execute(text("SELECT current_user"))).scalar()
        chained = (await session.execute(text(
            "SELECT a.action FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id ORDER BY c.seq"))).scalars().all()
    assert role == "o2c_service"
    assert "promise.recorded" in chained
    code, output = await verify(owned.service_url)
    assert code == 0, output
    assert f"audit chain intact, {len(chained)} entries" in output


async def test_concurrent_writers_make_one_unbroken_chain_in_commit_order(owned: Owned) -> None:
    await asyncio.gather(*(owned.audit(3, tag=f"w{w}") for w in range(12)))
    async with owned.service.unit_of_work() as session:
        rows = (await session.execute(text(
            "SELECT c.seq, a.entity_id FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id ORDER BY c.seq"
        ))).all()
    assert [r.seq for r in rows] == list(range(1, 37))
    writers = [r.entity_id.split("-")[0] for r in rows]
    assert all(len(set(writers[i:i + 3])) == 1 for i in range(0, 36, 3))  # one transaction's rows stay together
    code, output = await verify(owned.service_url)
    assert code == 0 and "36 entries" in output, output


async def test_a_commit_links_each_writers_rows_once_and_a_rolled_back_savepoints_never(owned: Owned) -> None:
    async with owned.service.unit_of_work() as session:
        await record_audits(session, [_row(f"bulk-{i}") for i in range(40)])  # one statement, one writer
        async with session.begin_nested():
            await record_audit(session, actor="sue", action="test.done", entity_type="thing", entity_id="kept-0")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await record_audit(session, actor="sue", action="test.done", entity_type="thing", entity_id="gone")
                raise RuntimeError("rolled back")
        await record_audit(session, actor="sue", action="test.done", entity_type="thing", entity_id="last")
    async with owned.service.unit_of_work() as session:
        rows = (await session.execute(text(
            "SELECT c.seq, a.entity_id FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id ORDER BY c.seq"
        ))).all()
    assert [r.seq for r in rows] == list(range(1, 43))
    assert sorted(r.entity_id for r in rows) == sorted([f"bulk-{i}" for i in range(40)] + ["kept-0", "last"])
    assert [r.entity_id for r in rows[:40]] == [f"bulk-{i}" for i in range(40)]  # the writer's rows in id order
    code, output = await verify(owned.service_url)
    assert code == 0 and "42 entries" in output, output


async def test_a_row_of_another_transaction_without_its_trigger_is_never_linked_by_a_later_commit(
        owned: Owned) -> None:
    # the owner writes a row far past the ids in use with the chain trigger disabled; a later commit links the rows
    # past its own first one, of its own writer only
    await owned.as_owner("ALTER TABLE audit_log DISABLE TRIGGER USER",
                         "INSERT INTO audit_log (id, actor, action, entity_type, entity_id) OVERRIDING SYSTEM VALUE "
                         "VALUES (1000000, 'mallory', 'test.forged', 'thing', 'forged')",
                         "ALTER TABLE audit_log ENABLE TRIGGER USER")
    await owned.audit(2)
    assert await _audit_id_by_entity(owned, "forged") > await _audit_id_by_entity(owned, "t-1")
    code, output = await verify(owned.service_url)
    assert code == 1 and "(unchained): 1 audit rows have no link, from id 1000000" in output, output
    async with owned.service.unit_of_work() as session:
        assert (await session.execute(text("SELECT count(*) FROM audit_chain"))).scalar() == 2


def _row(entity_id: str) -> dict[str, object]:
    return audit_row(actor="sue", action="test.done", entity_type="thing", entity_id=entity_id,
                     after={"amount": "1.50"}, correlation_id=None)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET reason = 'nothing happened'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "DROP TRIGGER audit_log_chain ON audit_log",
    "INSERT INTO audit_chain (seq, audit_id, prev_hash, row_hash) VALUES (999, 999, 'x', 'y')",
    "DELETE FROM audit_chain",
    "UPDATE alembic_version SET version_num = 'x'",
])
async def test_the_service_role_can_only_append_to_the_audit_trail(owned: Owned, statement: str) -> None:
    await owned.audit(1)
    with pytest.raises(DBAPIError) as refused:
        async with owned.service.unit_of_work() as session:
            await session.execute(text(statement))
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)


async def test_an_update_by_the_owner_is_found_at_its_link(owned: Owned) -> None:
    await owned.audit(5)
    audit_id = await _audit_id(owned, seq=3)
    await owned.as_owner("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                         f"UPDATE audit_log SET after = '{{\"amount\": \"150.00\", \"i\": 2}}' WHERE id = {audit_id}",
                         "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    code, output = await verify(owned.service_url)
    assert code == 1
    assert f"BROKEN at link 3 (hash_mismatch): audit row {audit_id} (link 3) was changed" in output
    assert "2 links verified before it" in output


async def test_a_deleted_row_and_a_deleted_link_are_found(owned: Owned) -> None:
    await owned.audit(4)
    second, third = await _audit_id(owned, seq=2), await _audit_id(owned, seq=3)
    await owned.as_owner("ALTER TABLE audit_log DISABLE TRIGGER USER", f"DELETE FROM audit_log WHERE id = {third}",
                         "ALTER TABLE audit_log ENABLE TRIGGER USER")
    assert "BROKEN at link 3 (missing_row)" in (await verify(owned.service_url))[1]
    await owned.as_owner("ALTER TABLE audit_log DISABLE TRIGGER USER", "ALTER TABLE audit_chain DISABLE TRIGGER USER",
                         f"DELETE FROM audit_log WHERE id = {second}", "DELETE FROM audit_chain WHERE seq IN (2, 3)")
    code, output = await verify(owned.service_url)
    assert code == 1 and "BROKEN at link 2 (gap): links 2 to 3 are missing" in output, output


async def test_rows_written_without_the_chain_trigger_and_a_cut_tail_are_found(owned: Owned) -> None:
    await owned.audit(3)
    code, output = await verify(owned.service_url)
    head = output.split("head ")[1].split()[0]
    assert Anchor.parse(head).seq == 3
    await owned.as_owner("ALTER TABLE audit_log DISABLE TRIGGER USER", "ALTER TABLE audit_chain DISABLE TRIGGER USER",
                         "DELETE FROM audit_chain WHERE seq = 3")
    third = await _audit_id_by_entity(owned, "t-2")
    code, output = await verify(owned.service_url)
    assert code == 1 and f"(unchained): 1 audit rows have no link, from id {third}" in output, output
    code, output = await verify(owned.service_url, "--anchor", head)
    assert code == 1 and "(anchor_mismatch)" in output and "before the anchor's seq 3" in output, output


async def test_rows_written_before_the_chain_are_linked_by_the_migration(infra: Infra) -> None:
    name = f"col_auditmig_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(name)
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url, "0010")
        async with engine.begin() as conn:
            for i in range(4):
                await conn.execute(text("INSERT INTO audit_log (actor, action, entity_type, entity_id, before) "
                                        "VALUES ('amy', 'old.thing', 'thing', :i, '{\"b\": [1, 2], \"a\": null}')"),
                                   {"i": str(i)})
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        code, output = await verify(url)
        assert code == 0 and "audit chain intact, 4 entries" in output, output
        await asyncio.to_thread(downgrade, SERVICE_DIR, url, "0010")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT to_regclass('audit_chain')"))).scalar() is None
    finally:
        await engine.dispose()
        await infra.drop_database(name)


async def _audit_id(owned: Owned, *, seq: int) -> int:
    async with owned.service.unit_of_work() as session:
        return int((await session.execute(text("SELECT audit_id FROM audit_chain WHERE seq = :s"),
                                          {"s": seq})).scalar_one())


async def _audit_id_by_entity(owned: Owned, entity_id: str) -> int:
    async with owned.service.unit_of_work() as session:
        return int((await session.execute(text("SELECT id FROM audit_log WHERE entity_id = :e"),
                                          {"e": entity_id})).scalar_one())


async def test_the_alembic_command_line_migrates_as_the_owner_and_grants_the_service_role(infra: Infra) -> None:
    """What the compose and Kubernetes migration steps run: `alembic upgrade heads` with both URLs in the settings."""
    await infra.ensure_roles()
    name = f"col_auditcli_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(infra.admin_dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}" OWNER o2c_owner')
    finally:
        await admin.close()
    owner_url, service_url = infra.role_url("o2c_owner", name), infra.role_url("o2c_service", name)
    env = {**os.environ, "COLLECTIONS_DATABASE_MIGRATION_URL": owner_url, "COLLECTIONS_DATABASE_URL": service_url}
    try:
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "alembic", "-c",
                                                        str(SERVICE_DIR / "alembic.ini"), "upgrade", "heads"],
                                       env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        db = Database(service_url, pool_size=1)
        try:
            await Owned(owner_url, service_url, db).audit(1)
            with pytest.raises(DBAPIError, match="permission denied"):
                async with db.unit_of_work() as session:
                    await session.execute(text("DELETE FROM audit_log"))
            async with db.unit_of_work() as session:
                owner = (await session.execute(text(
                    "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'"))).scalar()
            assert owner == "o2c_owner"
        finally:
            await db.dispose()
    finally:
        await infra.drop_database(name)
