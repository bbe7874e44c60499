"""Invoicing test fixtures: a fully migrated database per test (cloned from a template migrated once per
session) and the app driven in-process over ASGI with its real lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from o2c_cli.testing import (
    Infra,
    MigratedDatabases,
    ServiceHarness,
    bearer,
    problem as problem,  # re-exported for the tests
    serving,
)
from o2c_common.db import Database
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.main import create_app

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[1], "inv")


def token(subject: str, *roles: str, team: str | None = None) -> dict[str, str]:
    return bearer(subject, *roles, team=team)


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


@pytest_asyncio.fixture(loop_scope="session")
async def inv_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


@dataclass
class Service(ServiceHarness):
    settings: InvoicingSettings

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

    async def issued(self, *, override: bool = False, **overrides: Any) -> dict[str, Any]:
        """Prepared, approved and issued; ``override``: the approver overrides the portal rules it violates."""
        invoice = await self.create(**overrides)
        body = {"override_portal_rules": True, "override_reason": "mended after issue"} if override else {}
        for action, headers in (("request-approval", PREPARER), ("approve", APPROVER), ("issue", PREPARER)):
            response = await self.act(invoice["id"], action, headers, **(body if action == "approve" else {}))
            assert response.status_code == 200, response.text
        return dict(response.json())


def settings_for(url: str, infra: Infra, **overrides: Any) -> InvoicingSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test",
                              "database_pool_size": 20, "database_max_overflow": 90, **overrides}
    return InvoicingSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, inv_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(inv_db.url, infra)
    app = create_app(settings)
    async with serving(app, base_url="http://invoicing") as client:
        yield Service(app=app, client=client, db=inv_db, settings=settings)
