"""Migration 0010_link_revocations creates exactly the table the ORM declares."""

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
    return [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata)
            if _tables(d) & {"review_link_revocations"}]


async def test_0010_link_revocations_matches_the_model(kpi_db: Database) -> None:
    engine = create_async_engine(kpi_db.url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
    finally:
        await engine.dispose()
