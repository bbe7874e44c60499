"""Invoicing test fixtures: a fully migrated database per test (cloned from a template migrated once per
session) and the app driven in-process over ASGI with its real lifespan."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
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
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]
_template_lock = asyncio.Lock()
_template: dict[str, str] = {}


def token(subject: str, *roles: str, team: str | None = None) -> dict[str, str]:
    jwt = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=roles or ("viewer",), team=team,
                     issuer="o2c", audience="o2c")
    return {"Authorization": f"Bearer {jwt}"}


PREPARER = token("pat", "billing_specialist")
APPROVER = token("amy", "billing_approver")
APPROVER_2 = token("abe", "billing_approver")
SUPERVISOR = token("sue", "ar_supervisor")
AGENT_A = token("agent-a", "vendor_agent", team="vendor-a")
AGENT_B = token("agent-b", "vendor_agent", team="vendor-b")
INTEGRATION = token("pipeline", "integration")
VIEWER = token("val", "viewer")

INVOICE = {"legal_entity": "US01", "customer_id": "CUST-1", "currency": "USD", "payment_terms_days": 30,
           "po_number": "PO-100",
           "lines": [{"description": "Widgets", "quantity": "3", "unit_price": "33.335", "tax_rate": "0.10",
                      "po_line": "1"}]}


async def migrated_database(infra: Infra) -> tuple[str, str]:
    async with _template_lock:
        if "name" not in _template:
            name = f"inv_tpl_{uuid.uuid4().hex[:8]}"
            url = await infra.create_database(name)
            await asyncio.to_thread(upgrade, SERVICE_DIR, url)
            _template["name"] = name
    name = f"inv_{uuid.uuid4().hex[:12]}"
    return name, await infra.create_database(name, template=_template["name"])


@pytest_asyncio.fixture(loop_scope="session")
async def inv_db(infra: Infra) -> AsyncIterator[Database]:
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
    settings: InvoicingSettings

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.unit_of_work() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.unit_of_work() as session:
            return list((await session.execute(text(sql), params)).all())

    async def counts(self) -> tuple[int, ...]:
        row = await self.rows("SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM audit_log),"
                              " (SELECT count(*) FROM outbox), (SELECT count(*) FROM billing_profiles),"
                              " (SELECT count(*) FROM submissions), (SELECT count(*) FROM credit_notes)")
        return tuple(row[0])

    async def create(self, headers: dict[str, str] = PREPARER, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/invoices", json={**INVOICE, **overrides}, headers=headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def act(self, invoice_id: str, action: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        current = await self.client.get(f"/invoices/{invoice_id}", headers=SUPERVISOR)
        return await self.client.post(f"/invoices/{invoice_id}/{action}", json=body or None,
                                      headers={**headers, "If-Match": current.headers["ETag"]})

    async def issued(self, **overrides: Any) -> dict[str, Any]:
        invoice = await self.create(**overrides)
        for action, headers in (("request-approval", PREPARER), ("approve", APPROVER), ("issue", PREPARER)):
            response = await self.act(invoice["id"], action, headers)
            assert response.status_code == 200, response.text
        return dict(response.json())

    async def outbox_types(self) -> list[str]:
        rows = await self.rows("SELECT event_type FROM outbox ORDER BY id")
        return [r[0].removeprefix("o2c.").removesuffix(".v1") for r in rows]


def settings_for(url: str, infra: Infra, **overrides: Any) -> InvoicingSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test",
                              "database_pool_size": 20, "database_max_overflow": 90, **overrides}
    return InvoicingSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, inv_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(inv_db.url, infra)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://invoicing") as client:
        yield Service(app=app, client=client, db=inv_db, settings=settings)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    return dict(response.json())
