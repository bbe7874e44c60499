"""Migration 0004: the schema matches the models; old rows' portal "paid" becomes paid_by_customer, a paid or
credited status set by cash or credit returns to the status before it, settlement_status is derived; it goes
down and up again."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_cli.testing import Infra
from o2c_common.db.migrate import downgrade, upgrade
from o2c_invoicing.models import Base

pytestmark = pytest.mark.integration
SERVICE_DIR = Path(__file__).resolve().parents[2]


def _table(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    if item[0] in ("remove_table", "add_table"):
        return str(item[1].name)
    if item[0] in ("remove_index", "add_index"):
        return str(item[1].table.name)
    return str(item[2]) if item[0].endswith("column") or item[0].startswith("modify") else None


def _diffs(conn: Connection) -> list[Any]:
    """Differences on the service's own tables (the shared plumbing tables are not in its models)."""
    mine = set(Base.metadata.tables)
    return [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if _table(d) in mine]


INSERT = """INSERT INTO invoices (id, number, legal_entity, customer_id, currency, net_amount, tax_amount,
    total_amount, credited_amount, paid_amount, status, source, created_by, version)
    VALUES (:id, :n, 'US01', 'C', 'USD', 100, 0, 100, :credited, :paid, :status, 'api', 'pat', 1)"""
HISTORY = """INSERT INTO invoice_status_changes (invoice_id, from_status, to_status, actor)
    VALUES (:id, :f, :t, :actor)"""


async def test_0004_matches_the_models_moves_old_statuses_and_round_trips(infra: Infra) -> None:
    name = f"inv_mig_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(name)
    engine = create_async_engine(url)
    portal, cash, credited = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url, "0003")
        async with engine.begin() as conn:
            for invoice_id, status, paid, credit, before, actor in (
                    (portal, "paid", 0, 0, "scheduled_for_payment", "portal:coupa"),
                    (cash, "paid", 100, 0, "portal_approved", "system:collections"),
                    (credited, "credited", 0, 100, "submitted", "amy")):
                await conn.execute(text(INSERT), {"id": invoice_id, "n": str(invoice_id)[:8], "status": status,
                                                  "paid": paid, "credited": credit})
                await conn.execute(text(HISTORY), {"id": invoice_id, "f": before, "t": status, "actor": actor})
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
            rows = {r[0]: (r[1], r[2], r[3] is not None) for r in await conn.execute(text(
                "SELECT id, status, settlement_status, customer_paid_reported_at FROM invoices"))}
        assert rows == {portal: ("paid_by_customer", "open", True), cash: ("portal_approved", "settled", False),
                        credited: ("submitted", "credited", False)}
        await asyncio.to_thread(downgrade, SERVICE_DIR, url, "0003")
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    finally:
        await engine.dispose()
        await infra.drop_database(name)


async def test_0009_leaves_room_for_an_invoices_next_versions_and_round_trips(infra: Infra) -> None:
    name = f"inv_mig9_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(name)
    engine = create_async_engine(url)
    query = text("SELECT reloptions FROM pg_class WHERE relname = 'invoices'")
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        async with engine.connect() as conn:
            assert (await conn.execute(query)).scalar() == ["fillfactor=60"]
        await asyncio.to_thread(downgrade, SERVICE_DIR, url, "0008_invoices_fillfactor")
        async with engine.connect() as conn:
            assert (await conn.execute(query)).scalar() == ["fillfactor=80"]
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    finally:
        await engine.dispose()
        await infra.drop_database(name)
