"""`make dev`'s embedded PostgreSQL: the owner and service roles exist, migrations run as the owner and the
services as the service role, which can append to the audit trail but not change it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from o2c_cli.localstack import free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack, StackConfig
from o2c_common.db.database import asyncpg_dsn

pytestmark = pytest.mark.integration


async def test_the_local_stack_migrates_as_the_owner_and_runs_services_as_the_service_role(tmp_path: Path) -> None:
    stack = Stack(StackConfig(data_dir=tmp_path, pg_port=free_port(), external_kafka="127.0.0.1:1",
                              durable_pg=False, mail_port=None))
    await asyncio.to_thread(stack.start_infra)  # the launcher's steps run their own event loops
    try:
        await asyncio.to_thread(stack.create_databases)
        collections = SERVICES["collections"]
        await asyncio.to_thread(stack.migrate, collections)
        env = stack.service_env(collections)
        assert env["COLLECTIONS_DATABASE_URL"].startswith("postgresql+asyncpg://o2c_service@")
        assert env["COLLECTIONS_DATABASE_MIGRATION_URL"].startswith("postgresql+asyncpg://o2c_owner@")
        conn = await asyncpg.connect(asyncpg_dsn(env["COLLECTIONS_DATABASE_URL"]))
        try:
            await conn.execute("INSERT INTO audit_log (actor, action, entity_type, entity_id) "
                               "VALUES ('amy', 'x.done', 'x', '1')")
            assert await conn.fetchval("SELECT count(*) FROM audit_chain") == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM audit_log")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            await conn.execute("UPDATE open_items SET open_amount = open_amount")  # its own tables: all DML
            owner = await conn.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'")
        finally:
            await conn.close()
        assert owner == "o2c_owner"
    finally:
        stack.stop()
