"""Async engine and session factory, built in a service's lifespan (never at import time).

Liveness of pooled connections, without a round trip per checkout. SQLAlchemy's ``pool_pre_ping`` costs three
round trips on asyncpg each time a connection leaves the pool (``BEGIN``, ``;``, ``ROLLBACK``: it pings inside a
transaction for pgbouncer), i.e. on every request and every consumer batch. Instead:

* on checkout, :func:`discard_closed` asks asyncpg whether the connection is closed (``is_closed()``: no I/O). A
  server that ended the session — restart, ``pg_terminate_backend``, ``idle_session_timeout`` — closes the socket;
  the event loop sees the end of the stream while the connection sits in the pool, so the pool drops it and checks
  out another (SQLAlchemy retries a checkout that raises ``DisconnectionError``);
* ``pool_recycle`` (30 minutes) replaces connections before a firewall or load balancer silently forgets them;
* a connection that dies in between (mid-request) fails that one unit of work: SQLAlchemy invalidates it (and,
  on a server restart, the whole pool), so the next unit of work gets a fresh one, and the request is answered
  503 ``database-unavailable`` (retry) rather than 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


POOL_RECYCLE_S = 1800


def discard_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool ``checkout`` hook: a connection the server has closed is not handed out (see the module docstring)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the server closed this pooled connection")


class Database:
    """Owns one service's engine and session factory."""

    def __init__(self, url: str, *, pool_size: int = 30, max_overflow: int = 20, echo: bool = False,
                 pool_recycle_s: int = POOL_RECYCLE_S) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=pool_recycle_s, echo=echo
        )
        event.listen(self.engine.sync_engine.pool, "checkout", discard_closed)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # The same pool; each statement its own transaction, committed by the server before it answers.
        self.autocommit_sessionmaker = async_sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                                          expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: commits when the block ends normally, rolls back on any exception."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The plain libpq-style DSN asyncpg wants, from a SQLAlchemy URL."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)
