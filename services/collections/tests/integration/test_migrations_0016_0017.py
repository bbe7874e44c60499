"""Migrations 0016 and 0017: open items leave half of each page for their next versions and lose the index of the
number as written, which no query uses; ledger entries lose the index the unique (invoice_id, sequence) one covers;
queries by invoice still use an index; they go down and up again."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from o2c_cli.testing import Infra
from o2c_common.db.migrate import downgrade, upgrade

pytestmark = pytest.mark.integration
SERVICE_DIR = Path(__file__).resolve().parents[2]


async def _shape(conn: AsyncConnection) -> tuple[list[str] | None, set[str]]:
    options = (await conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'open_items'"))).scalar()
    indexes = set((await conn.execute(text(
        "SELECT indexname FROM pg_indexes WHERE tablename IN ('ledger_entries', 'open_items')"))).scalars())
    return options, indexes


async def test_0016_0017_make_room_for_open_items_drop_unused_indexes_and_round_trip(infra: Infra) -> None:
    name = f"col_mig16_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(name)
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        async with engine.connect() as conn:
            options, indexes = await _shape(conn)
            assert options == ["fillfactor=50"]
            assert not indexes & {"ix_ledger_entries_invoice_id", "ix_open_items_invoice_number"}
            assert {"uq_ledger_entries_invoice_sequence", "ix_open_items_upper_invoice_number"} <= indexes
            await conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join((await conn.execute(text("EXPLAIN SELECT * FROM ledger_entries WHERE invoice_id = :id"),
                                                {"id": uuid.uuid4()})).scalars())
            assert "uq_ledger_entries_invoice_sequence" in plan
        await asyncio.to_thread(downgrade, SERVICE_DIR, url, "0015_open_items_fillfactor")
        async with engine.connect() as conn:
            options, indexes = await _shape(conn)
            assert options == ["fillfactor=70"]
            assert {"ix_ledger_entries_invoice_id", "ix_open_items_invoice_number"} <= indexes
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        async with engine.connect() as conn:
            assert (await _shape(conn))[0] == ["fillfactor=50"]
    finally:
        await engine.dispose()
        await infra.drop_database(name)
