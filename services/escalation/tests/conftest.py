"""Escalation test fixtures: a fully migrated database per test (cloned from a migrated template made once
per session) and the app driven in-process over ASGI with its real lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
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
from o2c_escalation.config import EscalationSettings
from o2c_escalation.main import create_app

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[1], "esc")


def token(subject: str, *roles: str, team: str | None = None) -> dict[str, str]:
    return bearer(subject, *(roles or ("requester",)), team=team)


SUPERVISOR = token("sue", "ar_supervisor")
LEAD = token("lee", "service_delivery_lead")
ADMIN = token("ada", "admin")
AGENT_A = token("agent-a", "vendor_agent", team="vendor-a")
AGENT_B = token("agent-b", "vendor_agent", team="vendor-b")
REQUESTER = token("rita", "requester")
OTHER_REQUESTER = token("otto", "requester")
INTEGRATION = token("pipeline", "integration")


@pytest_asyncio.fixture(loop_scope="session")
async def esc_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


@dataclass
class Service(ServiceHarness):
    settings: EscalationSettings

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


def settings_for(url: str, infra: Infra, **overrides: Any) -> EscalationSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test",
                              "webhook_allow_private_targets": True, **overrides}  # receivers listen on 127.0.0.1
    return EscalationSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, esc_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(esc_db.url, infra)
    app = create_app(settings)
    async with serving(app, base_url="http://escalation") as client:
        yield Service(app=app, client=client, db=esc_db, settings=settings)


def ids(items: Iterable[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}
