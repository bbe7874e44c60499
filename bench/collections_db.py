"""The collections benches' own durable PostgreSQL with a migrated collections database."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from o2c_cli.localstack import EmbeddedPostgres, free_port
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "collections"


@contextlib.asynccontextmanager
async def embedded_database(name: str, *, server: list[EmbeddedPostgres] | None = None) -> AsyncIterator[Database]:
    """A migrated database ``name`` on a fresh durable PostgreSQL; ``server`` (a list) receives that server."""
    data = Path(tempfile.mkdtemp(prefix="bench-collections-"))
    pg = EmbeddedPostgres(data / "pgdata", port=free_port(), durable=True)
    pg.start()
    if server is not None:
        server.append(pg)
    try:
        infra = Infra(pg_url=pg.url, kafka_bootstrap="127.0.0.1:9", broker=None)
        url = await infra.create_database(name)
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        db = Database(url, pool_size=4)
        try:
            yield db
        finally:
            await db.dispose()
    finally:
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)
