"""Test infrastructure shared by every test package: one real PostgreSQL server and one real broker
per test session (started here, or external ones given by O2C_TEST_PG_URL / O2C_TEST_KAFKA_BOOTSTRAP),
and a fresh database per test."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_cli.localstack import EmbeddedPostgres, TansuBroker, free_port
from o2c_common.auth import mint_token
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade
from o2c_common.db.migration import create_plumbing_on
from o2c_common.db.roles import OWNER_ROLE, SERVICE_ROLE, ensure_roles_sql
from o2c_common.events.bundle import row_events
from o2c_common.settings import DEV_JWT_SECRET

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

    def role_url(self, role: str, database: str) -> str:
        """``database``'s URL for ``role`` (the embedded server trusts local logins)."""
        url = make_url(self.database_url(database)).set(username=role, password=None)
        return url.render_as_string(hide_password=False)

    async def ensure_roles(self) -> None:
        """The owner and service roles (o2c_common.db.roles) in this server; idempotent."""
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            for statement in ensure_roles_sql():
                with contextlib.suppress(asyncpg.UniqueViolationError):  # another session created it meanwhile
                    await conn.execute(statement)
        finally:
            await conn.close()

    async def owned_database(self, service_dir: Path, prefix: str) -> tuple[str, str, str]:
        """A new database owned by the owner role, migrated as it, its service role granted: returns (name, the
        owner's URL, the service role's URL), as a deployment has them."""
        await self.ensure_roles()
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}')
        finally:
            await conn.close()
        owner_url, service_url = self.role_url(OWNER_ROLE, name), self.role_url(SERVICE_ROLE, name)
        await asyncio.to_thread(upgrade, service_dir, owner_url, service_role=SERVICE_ROLE)
        return name, owner_url, service_url

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


# --- harness for one service's tests ----------------------------------------------------------------


class MigratedDatabases:
    """Fresh databases at a service's head revision, cloned from a template migrated once per session."""

    def __init__(self, service_dir: Path, prefix: str) -> None:
        self.service_dir, self.prefix = service_dir, prefix
        self._lock = asyncio.Lock()
        self._template: str | None = None

    async def create(self, infra: Infra) -> tuple[str, str]:
        async with self._lock:
            if self._template is None:
                name = f"{self.prefix}_tpl_{uuid.uuid4().hex[:8]}"
                url = await infra.create_database(name)
                await asyncio.to_thread(upgrade, self.service_dir, url)
                self._template = name
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        return name, await infra.create_database(name, template=self._template)

    def database(self, infra: Infra) -> AbstractAsyncContextManager[Database]:
        return opened(infra, self.create(infra))


@asynccontextmanager
async def opened(infra: Infra, created: Awaitable[tuple[str, str]]) -> AsyncIterator[Database]:
    """The database ``created`` names, open for the block, then disposed of and dropped."""
    name, url = await created
    db = Database(url, pool_size=5)
    try:
        yield db
    finally:
        await db.dispose()
        await infra.drop_database(name)


def bearer(subject: str, *roles: str, team: str | None = None) -> dict[str, str]:
    """Authorization header with a dev token for ``subject`` holding ``roles``."""
    jwt = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=roles or ("viewer",), team=team,
                     issuer="o2c", audience="o2c")
    return {"Authorization": f"Bearer {jwt}"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of ``response``, which must have ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    return dict(response.json())


@dataclass
class ServiceHarness:
    """A service app running in-process (real lifespan) with a client and its database."""

    app: FastAPI
    client: httpx.AsyncClient
    db: Database

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.unit_of_work() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.unit_of_work() as session:
            return list((await session.execute(text(sql), params)).all())

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        """The SQL statements the app sends to its database meanwhile (set-based paths assert their count)."""
        seen: list[str] = []
        engine = self.app.state.transactions.db.engine.sync_engine

        def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", note)

    async def outbox_types(self) -> list[str]:
        """Event types written to the outbox so far, oldest first (a bundle's members each), without prefix and
        version."""
        rows = await self.rows("SELECT event_type, headers, payload FROM outbox ORDER BY id")
        return [t.removeprefix("o2c.").removesuffix(".v1") for row in rows for t, _, _ in row_events(*row)]


@asynccontextmanager
async def serving(app: FastAPI, *, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url) as client:
        yield client


@dataclass
class MailSink:
    """The local mail server (`o2c mail`) on a free port: what a service sends over SMTP, in arrival order."""

    port: int
    handler: Any

    @property
    def raw(self) -> list[bytes]:
        return list(self.handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
                for raw in self.handler.received]


@contextmanager
def mail_sink(directory: Path) -> Iterator[MailSink]:
    from o2c_cli.mail import start_server

    port = free_port()
    controller = start_server(directory, port=port)
    try:
        yield MailSink(port=port, handler=controller.handler)
    finally:
        controller.stop()
