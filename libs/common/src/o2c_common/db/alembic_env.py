"""The body of every service's ``migrations/env.py``: async migrations against the service's database.

The URL comes from ``config.attributes["url"]`` when migrations run programmatically, else from the
``sqlalchemy.url`` option, which the service's env.py fills from its settings. With
``config.attributes["service_role"]`` (the service connects as another user than the migrations) that role is
granted its rights in the same transaction (:mod:`o2c_common.db.roles`).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_common.db.plumbing import plumbing_metadata
from o2c_common.db.roles import grant_service_role, service_role_for


def run_env(target_metadata: MetaData, default_url: str, service_url: str | None = None) -> None:
    """``default_url``: the owner's (the settings' migration URL, else the database URL); ``service_url``: the URL
    the service runs with, whose role is granted its rights when it is another (the `alembic` command line)."""
    config = context.config
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or default_url
    if "service_role" not in config.attributes and service_url:
        config.attributes["service_role"] = service_role_for(url, service_url)
    metadatas = [target_metadata, plumbing_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadatas, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            service_role = config.attributes.get("service_role")
            if service_role:
                grant_service_role(connection, service_role)

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadatas, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = config.attributes.get("connection")
    if connection is not None:
        do_run(connection)
        return

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run_async())
