"""Test infrastructure shared by every test package: one real PostgreSQL server and one real broker
per test session (started here, or external ones given by O2C_TEST_PG_URL / O2C_TEST_KAFKA_BOOTSTRAP),
and a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_cli.localstack import EmbeddedPostgres, TansuBroker, free_port
from o2c_common.db.migration import create_plumbing_on

PLUMBING_TEMPLATE = "o2c_plumbing_template"


@dataclass
class Infra:
    pg_url: str  # postgresql+asyncpg://user@host:port (no database)
    kafka_bootstrap: str
    broker: TansuBroker | None

    def database_url(self, name: str) -> str:
        return f"{self.pg_url}/{name}"

    def admin_dsn(self) -> str:
        return self.database_url("postgres").replace("postgresql+asyncpg://", "postgresql://", 1)

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            tpl = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{tpl}')
        finally:
            await conn.close()
        return self.database_url(name)

    async def drop_database(self, name: str) -> None:
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def ensure_plumbing_template(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PLUMBING_TEMPLATE)
        finally:
            await conn.close()
        if exists:
            return
        await self.create_database(PLUMBING_TEMPLATE)
        engine = create_async_engine(self.database_url(PLUMBING_TEMPLATE))
        async with engine.begin() as conn2:
            await conn2.run_sync(create_plumbing_on)
        await engine.dispose()

    async def fresh_database(self, prefix: str = "t") -> tuple[str, str]:
        """A new database holding the plumbing tables; returns (name, SQLAlchemy URL)."""
        await self.ensure_plumbing_template()
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        return name, await self.create_database(name, template=PLUMBING_TEMPLATE)


def start_test_infra(base_dir: Path) -> Iterator[Infra]:
    external_pg = os.environ.get("O2C_TEST_PG_URL")
    external_kafka = os.environ.get("O2C_TEST_KAFKA_BOOTSTRAP")
    pg = None if external_pg else EmbeddedPostgres(base_dir / "pgdata", port=free_port(), durable=False)
    broker = None if external_kafka else TansuBroker(port=free_port(), log_path=base_dir / "tansu.log")
    try:
        if pg is not None:
            pg.start()
        if broker is not None:
            broker.start()
        yield Infra(
            pg_url=external_pg or (pg.url if pg else ""),
            kafka_bootstrap=external_kafka or (broker.bootstrap_servers if broker else ""),
            broker=broker,
        )
    finally:
        if broker is not None:
            broker.stop()
        if pg is not None:
            pg.stop()
