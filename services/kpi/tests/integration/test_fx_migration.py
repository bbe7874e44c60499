"""Migration 0009_fx creates exactly the fx_rates table the ORM declares (columns, key, check, no index missing)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_common.db import Database
from o2c_kpi.models import Base
from services.kpi.tests.sla.test_sla_migration import _tables

pytestmark = pytest.mark.integration


def _diffs(conn: Connection) -> list[Any]:
    return [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if "fx_rates" in _tables(d)]


async def test_0009_fx_matches_the_model(kpi_db: Database) -> None:
    assert "fx_rates" in Base.metadata.tables
    engine = create_async_engine(kpi_db.url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
    finally:
        await engine.dispose()
