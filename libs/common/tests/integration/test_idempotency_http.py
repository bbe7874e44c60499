"""The Idempotency-Key dependency over HTTP against real PostgreSQL (BRIEF §4 semantics)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request, Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import CurrentPrincipal, JWTVerifier, mint_token
from o2c_common.db import Database, audit_log_table, idempotency_keys_table
from o2c_common.errors import Conflict, install_problem_handlers
from o2c_common.http import Idempotency, IdempotencyStore, idempotency
from o2c_common.observability import install_observability

SECRET = "integration-secret-integration-secret-0123"


class CaseIn(BaseModel):
    ref: str
    amount: Decimal
    fail: bool = False
    fail_after_respond: bool = False


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


def build_app(db: Database, gate: asyncio.Event | None = None) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_observability(app)
    app.state.db = db
    app.state.idempotency = IdempotencyStore(database=db)
    app.state.jwt_verifier = JWTVerifier(algorithms=["HS256"], secret=SECRET, issuer="o2c", audience="o2c")

    async def effect(session: AsyncSession, principal: Any, body: CaseIn) -> dict[str, Any]:
        entry_id = await record_audit(
            session, actor=principal, action="case.opened", entity_type="case", entity_id=body.ref, after=body
        )
        if body.fail:
            raise Conflict("case refused")
        if gate is not None:
            await gate.wait()
        return {"id": entry_id, "ref": body.ref, "amount": body.amount}

    @app.post("/cases", status_code=201)
    async def create_case(
        body: CaseIn, principal: CurrentPrincipal, idem: Annotated[Idempotency, Depends(idempotency())]
    ) -> Response:
        async with db.unit_of_work() as session:
            created = await effect(session, principal, body)
            response = await idem.respond(
                session, status_code=201, content=created, headers={"Location": f"/cases/{created['id']}"}
            )
            if body.fail_after_respond:
                raise RuntimeError("the commit fails")
            return response

    @app.post("/dep-cases", status_code=201)
    async def create_case_with_session_dependency(
        body: CaseIn,
        session: SessionDep,
        principal: CurrentPrincipal,
        idem: Annotated[Idempotency, Depends(idempotency(required=True))],
    ) -> Response:
        created = await effect(session, principal, body)
        return await idem.respond(session, status_code=201, content=created)

    return app


def auth(subject: str = "alice", key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {mint_token(secret=SECRET, subject=subject, roles=['collector'])}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def count(db: Database, table: Any = audit_log_table) -> int:
    async with db.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


@pytest.fixture
async def client(pg_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(pg_db))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_same_key_same_body_replays_the_stored_response(client: httpx.AsyncClient, pg_db: Database) -> None:
    body = {"ref": "c-1", "amount": "120.50"}
    first = await client.post("/cases", json=body, headers=auth(key="key-1"))
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == "120.50"
    assert "idempotent-replayed" not in first.headers
    reordered = b'{ "amount": "120.50",  "ref": "c-1" }'
    headers = {**auth(key="key-1"), "content-type": "application/json"}
    second = await client.post("/cases", content=reordered, headers=headers)
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["x-correlation-id"] != first.headers["x-correlation-id"]
    assert await count(pg_db) == 1


async def test_same_key_other_body_is_422(client: httpx.AsyncClient, pg_db: Database) -> None:
    assert (await client.post("/cases", json={"ref": "c-1", "amount": "1"}, headers=auth(key="k"))).status_code == 201
    response = await client.post("/cases", json={"ref": "c-1", "amount": "2"}, headers=auth(key="k"))
    assert response.status_code == 422
    assert response.json()["type"] == "https://o2c.dev/problems/idempotency-key-reused"
    assert await count(pg_db) == 1


async def test_keys_are_per_principal(client: httpx.AsyncClient, pg_db: Database) -> None:
    body = {"ref": "c-1", "amount": "1"}
    assert (await client.post("/cases", json=body, headers=auth("alice", key="k"))).status_code == 201
    bob = await client.post("/cases", json=body, headers=auth("bob", key="k"))
    assert bob.status_code == 201
    assert "idempotent-replayed" not in bob.headers
    assert await count(pg_db) == 2


async def test_without_key_each_post_runs(client: httpx.AsyncClient, pg_db: Database) -> None:
    for _ in range(2):
        assert (await client.post("/cases", json={"ref": "c", "amount": "1"}, headers=auth())).status_code == 201
    assert await count(pg_db) == 2
    assert await count(pg_db, idempotency_keys_table) == 0


async def test_required_key_and_key_format(client: httpx.AsyncClient) -> None:
    missing = await client.post("/dep-cases", json={"ref": "c", "amount": "1"}, headers=auth())
    assert missing.status_code == 400
    assert missing.json()["type"] == "https://o2c.dev/problems/idempotency-key-missing"
    bad = await client.post("/cases", json={"ref": "c", "amount": "1"}, headers=auth(key="has space"))
    assert bad.status_code == 400
    assert bad.json()["type"] == "https://o2c.dev/problems/invalid-idempotency-key"
    quoted = await client.post("/cases", json={"ref": "c", "amount": "1"}, headers=auth(key='"abc"'))
    replay = await client.post("/cases", json={"ref": "c", "amount": "1"}, headers=auth(key="abc"))
    assert quoted.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"


async def test_failed_request_stores_nothing_and_releases_the_key(client: httpx.AsyncClient, pg_db: Database) -> None:
    failing = await client.post("/cases", json={"ref": "c", "amount": "1", "fail": True}, headers=auth(key="k"))
    assert failing.status_code == 409
    assert await count(pg_db) == 0
    assert await count(pg_db, idempotency_keys_table) == 0
    # The key is free again: the (corrected) retry runs.
    retry = await client.post("/cases", json={"ref": "c", "amount": "1"}, headers=auth(key="k"))
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers


async def test_failure_after_respond_rolls_back_response_and_effect(client: httpx.AsyncClient, pg_db: Database) -> None:
    body = {"ref": "c", "amount": "1", "fail_after_respond": True}
    failing = await client.post("/cases", json=body, headers=auth(key="k"))
    assert failing.status_code == 500
    assert await count(pg_db) == 0
    assert await count(pg_db, idempotency_keys_table) == 0


async def test_works_with_a_dependency_managed_unit_of_work(client: httpx.AsyncClient, pg_db: Database) -> None:
    body = {"ref": "c", "amount": "9.99"}
    first = await client.post("/dep-cases", json=body, headers=auth(key="dep"))
    second = await client.post("/dep-cases", json=body, headers=auth(key="dep"))
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    failing = await client.post("/dep-cases", json={**body, "fail": True}, headers=auth(key="dep-2"))
    assert failing.status_code == 409
    assert await count(pg_db) == 1
    assert await count(pg_db, idempotency_keys_table) == 1


async def test_concurrent_duplicate_gets_409_then_replay(pg_db: Database) -> None:
    gate = asyncio.Event()
    app = build_app(pg_db, gate=gate)
    body = {"ref": "c-9", "amount": "10.00"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        first = asyncio.create_task(client.post("/cases", json=body, headers=auth(key="race")))
        for _ in range(200):  # until the first request holds the claim
            if await count(pg_db, idempotency_keys_table) == 1:
                break
            await asyncio.sleep(0.01)
        duplicate = await client.post("/cases", json=body, headers=auth(key="race"))
        assert duplicate.status_code == 409
        assert duplicate.json()["type"] == "https://o2c.dev/problems/idempotency-key-in-progress"
        assert duplicate.headers["retry-after"] == "1"
        gate.set()
        original = await asyncio.wait_for(first, timeout=10)
        assert original.status_code == 201
        replay = await client.post("/cases", json=body, headers=auth(key="race"))
        assert replay.status_code == 201
        assert replay.content == original.content
    assert await count(pg_db) == 1
