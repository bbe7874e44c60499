"""Migration 0004 matches the SLA and report models, seeds the defaults, and goes down and up again."""

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
from o2c_kpi.models import Base

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
MINE = {"sla_definitions", "sla_outcomes", "sla_windows", "sla_timers", "sla_breaches", "sla_level_checks",
        "report_snapshot_runs", "report_snapshot_values"}


def _tables(diff: Any) -> set[str]:
    """The table names a diff entry of compare_metadata mentions."""
    names: set[str] = set()
    for part in diff if isinstance(diff, tuple | list) else (diff,):
        if isinstance(part, tuple | list):
            names |= _tables(part)
        elif isinstance(part, str):
            names.add(part)
        else:
            table = getattr(part, "table", None)
            names.add(str(getattr(table, "name", None) or getattr(part, "name", "")))
    return names


def _diffs(conn: Connection) -> list[Any]:
    return [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if _tables(d) & MINE]


async def test_0004_matches_the_models_and_round_trips(infra: Infra) -> None:
    name = f"kpisla_mig_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(name)
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
            assert (await conn.execute(text("SELECT count(*) FROM sla_definitions"))).scalar_one() == 7
        await asyncio.to_thread(downgrade, SERVICE_DIR, url, "0003")
        async with engine.connect() as conn:
            left = (await conn.execute(text(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'sla\\_%' OR tablename LIKE 'report\\_snapshot%'"
            ))).scalar_one()
            assert left == 0
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    finally:
        await engine.dispose()
        await infra.drop_database(name)
