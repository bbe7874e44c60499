"""Fixtures of the SLA and report tests: a migrated kpi database per test, the app in-process with a clock
the test moves by hand, and builders of the events SLAs are measured from."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from o2c_common.events.contracts.invoicing import (
    InvoicePortalApproved,
    InvoicePortalRejected,
    InvoiceResubmitted,
)
from o2c_common.inbox import Handlers
from o2c_common.tx import Transactions
from o2c_kpi.clock import CLOCK_STATE_ATTR
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import create_app
from o2c_kpi.sla.handlers import handlers as sla_handlers

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[2], "kpisla")

SUPERVISOR = bearer("sue", "ar_supervisor")
ADMIN = bearer("ada", "admin")
VIEWER = bearer("vic", "viewer")
AGENT_A = bearer("agent-a", "vendor_agent", team="vendor-a")
AGENT_B = bearer("agent-b", "vendor_agent", team="vendor-b")

# Friday 2026-11-20 15:00 UTC: a business day followed by a weekend
FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock that moves only when the test says so."""

    now: datetime = FRIDAY

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, when: datetime) -> None:
        self.now = when


@pytest_asyncio.fixture(loop_scope="session")
async def kpi_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


def settings_for(url: str, bootstrap: str, **overrides: Any) -> KpiSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test",
                              "sla_timer_grace_s": 0.0, "sla_sweep_interval_s": 0.05, **overrides}
    return KpiSettings(database_url=url, kafka_bootstrap_servers=bootstrap, **values)


@dataclass
class Service(ServiceHarness):
    settings: KpiSettings
    clock: Clock = field(default_factory=Clock)

    @property
    def transactions(self) -> Transactions:
        transactions: Transactions = self.app.state.transactions
        return transactions

    @property
    def handlers(self) -> Handlers:
        return sla_handlers()

    async def handle(self, *events: Event) -> None:
        """Each event handled by the kpi-sla handlers in its own transaction, as the consumer would."""
        table = self.handlers
        for event in events:
            async with self.transactions.begin("system:kpi-sla") as tx:
                await table[type(event.data)](tx, event)

    async def sla_events(self) -> list[tuple[str, dict[str, Any]]]:
        """Events written to the outbox so far, oldest first: (type without prefix and version, payload)."""
        rows = await self.rows("SELECT event_type, payload FROM outbox ORDER BY id")
        return [(t.removeprefix("o2c.").removesuffix(".v1"), json.loads(bytes(p))) for t, p in rows]


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, kpi_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(kpi_db.url, infra.kafka_bootstrap)
    app = create_app(settings)
    clock = Clock()
    setattr(app.state, CLOCK_STATE_ATTR, clock)
    async with serving(app, base_url="http://kpi") as client:
        yield Service(app=app, client=client, db=kpi_db, settings=settings, clock=clock)


# --- events ---------------------------------------------------------------------------------------------


def wrap(payload: EventPayload) -> Event:
    return Event.new(payload, source=payload.expected_source())  # consumers refuse any other ce_source


def _invoice(team: str, invoice_id: uuid.UUID | None = None) -> dict[str, Any]:
    invoice_id = invoice_id or uuid.uuid4()
    return {"invoice_id": invoice_id, "invoice_number": f"US01-2026-{invoice_id.hex[:6]}", "legal_entity": "US01",
            "customer_id": "CUST-1", "owning_team": team, "channel": "coupa"}


def approved(team: str, at: datetime, *, first_pass: bool = True) -> Event:
    return wrap(InvoicePortalApproved(**_invoice(team), submission_id=uuid.uuid4(), attempt=1,
                                      first_pass=first_pass, submitted_at=at - timedelta(hours=1), approved_at=at))


def rejected(team: str, at: datetime, *, invoice_id: uuid.UUID | None = None,
             submission_id: uuid.UUID | None = None, count: int = 1) -> Event:
    return wrap(InvoicePortalRejected(
        **_invoice(team, invoice_id), submission_id=submission_id or uuid.uuid4(), attempt=count,
        portal_reason_code="PO-MISSING", reason="missing_po", root_cause="po", rejection_count=count,
        rejected_at=at))


def resubmitted(rejection: Event, at: datetime) -> Event:
    fact = rejection.data
    assert isinstance(fact, InvoicePortalRejected)
    return wrap(InvoiceResubmitted(
        **_invoice(fact.owning_team or "", fact.invoice_id), submission_id=uuid.uuid4(), attempt=fact.attempt + 1,
        previous_submission_id=fact.submission_id, corrected_reason=fact.reason, document_format="cxml",
        currency="USD", amount="100.00", rejected_at=fact.rejected_at, resubmitted_at=at))
