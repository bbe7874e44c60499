"""Escalation test fixtures: a fully migrated database per test (cloned from a migrated template made once
per session) and the app driven in-process over ASGI with its real lifespan."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade
from o2c_common.settings import DEV_JWT_SECRET
from o2c_escalation.config import EscalationSettings
from o2c_escalation.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]
_template_lock = asyncio.Lock()
_template: dict[str, str] = {}


def token(subject: str, *roles: str, team: str | None = None) -> dict[str, str]:
    jwt = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=roles or ("requester",), team=team,
                     issuer="o2c", audience="o2c")
    return {"Authorization": f"Bearer {jwt}"}


SUPERVISOR = token("sue", "ar_supervisor")
LEAD = token("lee", "service_delivery_lead")
ADMIN = token("ada", "admin")
AGENT_A = token("agent-a", "vendor_agent", team="vendor-a")
AGENT_B = token("agent-b", "vendor_agent", team="vendor-b")
REQUESTER = token("rita", "requester")
OTHER_REQUESTER = token("otto", "requester")
INTEGRATION = token("pipeline", "integration")


async def migrated_database(infra: Infra) -> tuple[str, str]:
    """A new database at the escalation head revision (cloned from a template migrated once)."""
    async with _template_lock:
        if "name" not in _template:
            name = f"esc_tpl_{uuid.uuid4().hex[:8]}"
            url = await infra.create_database(name)
            await asyncio.to_thread(upgrade, SERVICE_DIR, url)
            _template["name"] = name
    name = f"esc_{uuid.uuid4().hex[:12]}"
    return name, await infra.create_database(name, template=_template["name"])


@pytest_asyncio.fixture(loop_scope="session")
async def esc_db(infra: Infra) -> AsyncIterator[Database]:
    name, url = await migrated_database(infra)
    db = Database(url, pool_size=5)
    try:
        yield db
    finally:
        await db.dispose()
        await infra.drop_database(name)


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    db: Database
    settings: EscalationSettings

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.unit_of_work() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.unit_of_work() as session:
            return list((await session.execute(text(sql), params)).all())

    async def open_case(self, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
        body = {"title": "Invoice stuck in portal", "description": "Rejected twice", "requester_function": "sales",
                "category": "portal", "severity": "P2", **overrides}
        response = await self.client.post("/cases", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def transition(self, case_id: str, action: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        current = await self.client.get(f"/cases/{case_id}", headers=SUPERVISOR)
        return await self.client.post(f"/cases/{case_id}/transitions", json={"action": action, **body},
                                      headers={**headers, "If-Match": current.headers["ETag"]})

    async def outbox_types(self) -> list[str]:
        rows = await self.rows("SELECT event_type FROM outbox ORDER BY id")
        return [r[0].removeprefix("o2c.").removesuffix(".v1") for r in rows]


def settings_for(url: str, infra: Infra, **overrides: Any) -> EscalationSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test", **overrides}
    return EscalationSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, esc_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(esc_db.url, infra)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        yield Service(app=app, client=client, db=esc_db, settings=settings)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    return dict(response.json())


def ids(items: Iterable[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}
