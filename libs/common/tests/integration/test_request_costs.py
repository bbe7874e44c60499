"""What every request costs besides a route's own work (issue 16 item 3): one token verification, no liveness
round trips on the pool, audit and outbox statements built once; and a pooled connection the server closed is not
handed out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
import httpx
from fastapi import APIRouter, Depends, Request
from sqlalchemy import event, text

from o2c_common.app import create_service_app
from o2c_common.auth import JWTVerifier, Principal, Role, mint_token, require_roles
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings
from o2c_common.tx import Transactions
from o2c_common.uow import TxDep

router = APIRouter()


@router.post("/work")
async def work(request: Request, tx: TxDep,
               principal: Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST))]) -> dict[str, Any]:
    pid = (await tx.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    request.app.state.last_connection = (await (await tx.session.connection()).get_raw_connection()).driver_connection
    return {"by": principal.subject, "pid": pid}


@router.post("/held-work")
async def held_work(tx: TxDep) -> dict[str, int]:
    """Holds its connection a moment, as a request does on a busy event loop."""
    return {"pid": (await tx.session.execute(text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))).scalar_one()}


@router.post("/lose-connection")
async def lose_connection(tx: TxDep) -> dict[str, str]:
    """The server ends this request's session half-way (as a restart would)."""
    pid = (await tx.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await _terminate(tx.session.bind.url.render_as_string(hide_password=False), pid)  # type: ignore[union-attr]
    await _until_closed((await (await tx.session.connection()).get_raw_connection()).driver_connection)
    await tx.session.execute(text("SELECT 1"))
    return {"stored": "never"}


async def _terminate(url: str, pid: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def _until_closed(connection: asyncpg.Connection) -> None:
    """Until the event loop has seen the server close the socket (what happens while a connection idles)."""
    for _ in range(500):
        if connection.is_closed():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the terminated connection never closed")


def _token() -> str:
    return mint_token(secret=DEV_JWT_SECRET, subject="alice", roles=[Role.BILLING_SPECIALIST.value],
                      ttl=timedelta(minutes=5), issuer="o2c", audience="o2c")


@asynccontextmanager
async def _served(pg_db: Database) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = ServiceSettings(database_url=pg_db.url, kafka_bootstrap_servers="127.0.0.1:1", run_workers=False)
    app = create_service_app(settings=settings, title="t", description="t", routers=[router])
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t",
            headers={"Authorization": f"Bearer {_token()}"}) as client:
        yield app, client


async def test_a_token_is_verified_once_per_request(pg_db: Database) -> None:
    async with _served(pg_db) as (app, client):
        verifier: JWTVerifier = app.state.jwt_verifier
        calls: list[str] = []
        verify = verifier.verify

        async def counting(token: str) -> Principal:
            calls.append(token)
            return await verify(token)

        verifier.verify = counting  # type: ignore[method-assign]
        for _ in range(3):
            response = await client.post("/work")
            assert response.status_code == 200, response.text
            assert response.json()["by"] == "alice"
        assert len(calls) == 3  # the edge's check; the route's dependency takes its principal
        refused = await client.post("/work", headers={"Authorization": "Bearer not-a-token"})
        assert refused.status_code == 401


async def test_a_unit_of_work_sends_no_liveness_ping(pg_db: Database) -> None:
    db = Database(pg_db.url, pool_size=1, max_overflow=0)
    sent: list[str] = []
    event.listen(db.engine.sync_engine, "connect",
                 lambda dbapi, _record: dbapi.driver_connection.add_query_logger(lambda q: sent.append(q.query)))
    try:
        for _ in range(2):
            async with db.unit_of_work() as session:
                await session.execute(text("SELECT 1"))
        sent.clear()
        async with db.unit_of_work() as session:
            await session.execute(text("SELECT 1"))
        # asyncpg logs what it sends outside prepared statements: the transaction's BEGIN and COMMIT, and the pool's
        # pings (pool_pre_ping: BEGIN, ";" and ROLLBACK before each unit of work)
        assert [q.strip().rstrip(";").upper() for q in sent] == ["BEGIN", "COMMIT"]
    finally:
        await db.dispose()


async def test_a_burst_of_requests_is_served_again_by_the_same_connections(pg_db: Database) -> None:
    """The default pool keeps what a burst of 25 requests in flight opened: the next burst logs in no new session
    (with 10 kept and 10 opened per burst, the ten above the pool were closed, and opened again each time)."""
    async with _served(pg_db) as (_app, client):
        async def burst() -> set[int]:
            answers = await asyncio.gather(*(client.post("/held-work") for _ in range(25)))
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
            return {a.json()["pid"] for a in answers}

        first = await burst()
        assert len(first) > 10  # the burst held more connections than the old pool kept
        assert await burst() <= first


async def test_a_connection_the_server_closed_is_not_handed_out(pg_db: Database) -> None:
    async with _served(pg_db) as (app, client):
        first = (await client.post("/work")).json()["pid"]
        await _terminate(pg_db.url, first)  # the pooled session ends while idle (restart, idle timeout)
        await _until_closed(app.state.last_connection)
        second = await client.post("/work")
        assert second.status_code == 200, second.text
        assert second.json()["pid"] != first


async def test_a_connection_lost_mid_request_is_a_503_and_the_next_request_works(pg_db: Database) -> None:
    async with _served(pg_db) as (_app, client):
        lost = await client.post("/lose-connection")
        assert lost.status_code == 503, lost.text
        assert lost.json()["type"].endswith("/database-unavailable")
        assert (await client.post("/work")).status_code == 200


async def test_audit_and_outbox_statements_are_built_once(pg_db: Database) -> None:
    """Every audited write and every emitted event reuse one statement object (values bound at execution), and the
    rows are what they were."""
    transactions = Transactions(db=pg_db, source="o2c/test", slots=16)
    executed: list[Any] = []

    def record(_conn: Any, clause: Any, *_: Any) -> None:
        executed.append(clause)

    event.listen(pg_db.engine.sync_engine, "before_execute", record)
    try:
        for n in range(2):
            async with transactions.begin("system:test") as tx:
                await tx.audit("thing.done", entity_type="thing", entity_id=n, after={"n": n})
                await tx.emit(_issued(f"N-{n}"))
    finally:
        event.remove(pg_db.engine.sync_engine, "before_execute", record)
    assert len(executed) == 4 and executed[0] is executed[2] and executed[1] is executed[3]
    async with pg_db.unit_of_work() as session:
        audits = (await session.execute(text("SELECT entity_id, after::text, before FROM audit_log ORDER BY id"))).all()
        events = (await session.execute(text("SELECT event_type, key FROM outbox ORDER BY id"))).all()
    assert [tuple(a) for a in audits] == [("0", '{"n": 0}', None), ("1", '{"n": 1}', None)]  # before: SQL NULL
    assert [e.event_type for e in events] == ["o2c.invoice.issued.v1"] * 2


def _issued(number: str) -> InvoiceIssued:
    return InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id="C-1",
                         currency="USD", amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2013, 1, 2),
                         due_date=date(2013, 2, 1), issued_at=datetime(2026, 12, 3, tzinfo=UTC))
