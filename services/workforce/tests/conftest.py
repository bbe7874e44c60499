"""Workforce test fixtures: a fully migrated database per test (cloned from a migrated template made once per
session) and the app driven in-process over ASGI with its real lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.inbox import Batched
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.intake.handlers import HANDLERS
from o2c_workforce.main import create_app

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[1], "wf")

SUPERVISOR = bearer("sue", "ar_supervisor")
LEAD = bearer("lee", "service_delivery_lead")
AGENT_A = bearer("ana", "vendor_agent", team="vendor-a")
AGENT_B = bearer("ben", "vendor_agent", team="vendor-b")
VIEWER = bearer("vic", "viewer")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday


@pytest_asyncio.fixture(loop_scope="session")
async def wf_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


@dataclass
class Service(ServiceHarness):
    settings: WorkforceSettings

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str] = SUPERVISOR) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def get(self, path: str, headers: dict[str, str] = SUPERVISOR, **params: Any) -> Any:
        response = await self.client.get(path, headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def handle(self, payload: EventPayload) -> None:
        """Runs the consumer's handler for one event inside a unit of work, as the consumer does."""
        event = Event.new(payload, source=f"/o2c/{payload.producer}")
        async with self.app.state.transactions.begin("system:workforce") as tx:
            await HANDLERS[type(payload)](tx, event)

    async def handle_batch(self, payloads: list[EventPayload]) -> None:
        """A consumer's partition batch of one event type: its batch handler called once with every event."""
        events = [Event.new(payload, source=f"/o2c/{payload.producer}") for payload in payloads]
        handler = HANDLERS[type(payloads[0])]
        assert isinstance(handler, Batched)
        async with self.app.state.transactions.begin("system:workforce") as tx:
            await handler.handler(tx, events)

    async def org(self) -> dict[str, dict[str, Any]]:
        """Two vendors, one team each, three agents: ana and carl at vendor-a, ben at vendor-b."""
        await self.post("/vendors", {"code": "acme", "name": "Acme BPO"})
        await self.post("/vendors", {"code": "globex", "name": "Globex Services"})
        await self.post("/teams", {"code": "vendor-a", "name": "Acme Manila", "vendor_code": "acme"})
        await self.post("/teams", {"code": "vendor-b", "name": "Globex Krakow", "vendor_code": "globex"})
        agents = {}
        for subject, name, team in (("ana", "Ana Reyes", "vendor-a"), ("carl", "Carl Diaz", "vendor-a"),
                                    ("ben", "Ben Nowak", "vendor-b")):
            agents[subject] = await self.post("/agents", {
                "subject": subject, "name": name, "team": team, "start_date": "2026-06-01",
                "skills": ["invoice_preparation", "invoice_submission", "case_handling"]})
        return agents


def settings_for(url: str, infra: Infra, **overrides: Any) -> WorkforceSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test", **overrides}
    return WorkforceSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, wf_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(wf_db.url, infra)
    app = create_app(settings)
    async with serving(app, base_url="http://workforce") as client:
        yield Service(app=app, client=client, db=wf_db, settings=settings)
