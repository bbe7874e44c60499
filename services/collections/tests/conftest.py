"""Collections test fixtures: a fully migrated database per test (cloned from a migrated template made once
per session) and the app driven in-process over ASGI with its real lifespan."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
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
from o2c_collections.config import CollectionsSettings
from o2c_collections.main import create_app
from o2c_collections.receivables.service import open_receivable
from o2c_collections.workers import drain_imports
from o2c_common.db import Database
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.tx import Transactions

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[1], "col")


def token(subject: str, *roles: str, team: str | None = None) -> dict[str, str]:
    return bearer(subject, *(roles or ("requester",)), team=team)


SUPERVISOR = token("sue", "ar_supervisor")
COLLECTOR = token("carl", "collector")
ADMIN = token("ada", "admin")
AGENT_A = token("agent-a", "vendor_agent", team="vendor-a")
AGENT_B = token("agent-b", "vendor_agent", team="vendor-b")
VIEWER = token("vic", "viewer")
INTEGRATION = token("pipeline", "integration")
IMPORTER = token("bank-feed", "bank_file_importer")


@pytest_asyncio.fixture(loop_scope="session")
async def col_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


@dataclass
class Service(ServiceHarness):
    settings: CollectionsSettings

    async def issue(self, number: str, amount: str, *, customer: str = "CUST-1", currency: str = "USD",
                    team: str | None = None, issue_date: date = date(2026, 1, 1),
                    due_date: date = date(2026, 1, 31)) -> uuid.UUID:
        """An invoice issued, as the invoice.issued consumer would book it."""
        fact = InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01",
                             customer_id=customer, currency=currency, amount=Decimal(amount), tax_amount=Decimal(0),
                             issue_date=issue_date, due_date=due_date, issued_at=datetime.now(UTC),
                             owning_team=team)
        async with self.transactions.begin("system:collections") as tx:
            await open_receivable(tx, fact=fact, event_id=uuid.uuid4())
        return fact.invoice_id

    async def open_amount(self, invoice_id: uuid.UUID) -> Decimal:
        return Decimal(await self.scalar("SELECT open_amount FROM open_items WHERE invoice_id = :i", i=invoice_id))

    async def pay(self, amount: str, *, customer: str | None = "CUST-1", headers: dict[str, str] | None = None,
                  remittance: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"legal_entity": "US01", "customer_id": customer, "currency": "USD", "amount": amount,
                "value_date": "2026-02-01", "remittance": remittance or [], **extra}
        response = await self.client.post("/payments", json=body, headers=headers or COLLECTOR)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def process_imports(self) -> int:
        """Books every pending payment import, chunk by chunk, as the background step does."""
        return await drain_imports(self.transactions, settings=self.settings)

    @property
    def transactions(self) -> Transactions:
        """The app's units of work (what the consumer, the workers and the requests open)."""
        transactions: Transactions = self.app.state.transactions
        return transactions


def settings_for(url: str, infra: Infra, **overrides: Any) -> CollectionsSettings:
    values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test", **overrides}
    return CollectionsSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)


@pytest_asyncio.fixture(loop_scope="session")
async def service(infra: Infra, col_db: Database) -> AsyncIterator[Service]:
    settings = settings_for(col_db.url, infra)
    app = create_app(settings)
    async with serving(app, base_url="http://collections") as client:
        yield Service(app=app, client=client, db=col_db, settings=settings)



def ids(items: Iterable[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}
