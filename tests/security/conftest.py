"""The five services in-process (one app each, real lifespan, a migrated database each), the callers of the route
matrix (anonymous, a token with no role, one token per role, a vendor agent of another team) and objects of team
``vendor-a`` for the other team's agent to reach for."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest_asyncio
from fastapi import FastAPI

from o2c_cli.testing import Infra, MigratedDatabases, ServiceHarness, serving
from o2c_collections.config import CollectionsSettings
from o2c_collections.main import create_app as collections_app
from o2c_collections.receivables.service import open_receivable
from o2c_common.auth import Role, RouteTable, mint_token
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.settings import DEV_JWT_SECRET
from o2c_common.tx import Transactions
from o2c_escalation.config import EscalationSettings
from o2c_escalation.main import create_app as escalation_app
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.main import create_app as invoicing_app
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import create_app as kpi_app
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.main import create_app as workforce_app

ROOT = Path(__file__).resolve().parents[2]
TEAM, OTHER_TEAM = "vendor-a", "vendor-b"
CUSTOMER = "CUST-SECRET-A"
"""Team ``vendor-a``'s customer: its name must never reach the other team's agent."""


def header(subject: str, roles: list[str], team: str | None = None) -> dict[str, str]:
    token = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=roles, team=team, ttl=timedelta(hours=1),
                       issuer="o2c", audience="o2c")
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    roles: frozenset[str]
    other_team: bool = False


CALLERS: list[Caller] = [
    Caller("anonymous", {}, frozenset()),
    Caller("no-roles", header("nobody", []), frozenset()),
    *(Caller(role.value, header(f"u-{role.value}", [role.value], TEAM if role == Role.VENDOR_AGENT else None),
             frozenset({role.value})) for role in Role),
    Caller("vendor_agent of another team", header("agent-b", [Role.VENDOR_AGENT.value], OTHER_TEAM),
           frozenset({Role.VENDOR_AGENT.value}), other_team=True),
]
AGENT_A = header("agent-a", [Role.VENDOR_AGENT.value], TEAM)
AGENT_B = header("agent-b", [Role.VENDOR_AGENT.value], OTHER_TEAM)
ADMIN = header("ada", [Role.ADMIN.value])
SUPERVISOR = header("sue", [Role.AR_SUPERVISOR.value])
COLLECTOR = header("carl", [Role.COLLECTOR.value])


@dataclass
class Running(ServiceHarness):
    """One service app with its route table and the ids of team ``vendor-a``'s objects by path parameter."""

    name: str = ""
    routes: RouteTable = field(default_factory=lambda: RouteTable({}))
    team_ids: dict[str, str] = field(default_factory=dict)

    @property
    def transactions(self) -> Transactions:
        transactions: Transactions = self.app.state.transactions
        return transactions


def common(url: str, infra: Infra) -> dict[str, Any]:
    return {"database_url": url, "kafka_bootstrap_servers": infra.kafka_bootstrap, "run_workers": False,
            "log_json": False, "environment": "test"}


async def running(infra: Infra, name: str, build: Callable[[str], FastAPI], routes: RouteTable
                  ) -> AsyncIterator[Running]:
    databases = MigratedDatabases(ROOT / "services" / name, f"sec{name[:3]}")
    async with databases.database(infra) as db:
        app = build(db.url)
        async with serving(app, base_url=f"http://{name}") as client:
            yield Running(app=app, client=client, db=db, name=name, routes=routes)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def invoicing(infra: Infra) -> AsyncIterator[Running]:
    from o2c_invoicing.permissions import ROUTES

    async for service in running(infra, "invoicing", lambda url: invoicing_app(InvoicingSettings(**common(url, infra))),
                                 ROUTES):
        profile = {"name": "Secret Co", "legal_entity": "US01", "currency": "USD", "channel": "email",
                   "owning_team": TEAM}
        response = await service.client.put(f"/billing-profiles/{CUSTOMER}", json=profile, headers=ADMIN)
        assert response.status_code == 201, response.text
        invoice = {"legal_entity": "US01", "customer_id": CUSTOMER, "currency": "USD", "payment_terms_days": 30,
                   "lines": [{"description": "Secret work", "quantity": "1", "unit_price": "10.00",
                              "tax_rate": "0.00"}]}
        response = await service.client.post("/invoices", json=invoice, headers=AGENT_A)
        assert response.status_code == 201, response.text
        service.team_ids = {"invoice_id": response.json()["id"], "customer_id": CUSTOMER}
        yield service


async def issue_for_team(service: Running, *, team: str, customer: str, amount: str = "100.00",
                         number: str | None = None) -> uuid.UUID:
    """An invoice of ``team`` issued, as collections' invoice.issued consumer books it."""
    fact = InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number or f"US01-2026-{uuid.uuid4().hex[:6]}",
                         legal_entity="US01", customer_id=customer, currency="USD", amount=Decimal(amount),
                         tax_amount=Decimal(0), issue_date=date(2026, 1, 1), due_date=date(2026, 1, 31),
                         issued_at=datetime.now(UTC), owning_team=team)
    async with service.transactions.begin("system:collections") as tx:
        await open_receivable(tx, fact=fact, event_id=uuid.uuid4())
    return fact.invoice_id


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def collections(infra: Infra) -> AsyncIterator[Running]:
    from o2c_collections.permissions import ROUTES

    async for service in running(infra, "collections",
                                 lambda url: collections_app(CollectionsSettings(**common(url, infra))), ROUTES):
        invoice_id = await issue_for_team(service, team=TEAM, customer=CUSTOMER)
        payment = {"legal_entity": "US01", "customer_id": CUSTOMER, "currency": "USD", "amount": "10.00",
                   "value_date": "2026-02-01", "remittance": [{"reference": str(invoice_id), "amount": "10.00"}]}
        response = await service.client.post("/payments", json=payment, headers=AGENT_A)
        assert response.status_code == 201, response.text
        payment_id = response.json()["id"]
        response = await service.client.post("/disputes", json={"invoice_id": str(invoice_id), "amount": "5.00",
                                                                "reason": "pricing"}, headers=AGENT_A)
        assert response.status_code == 201, response.text
        service.team_ids = {"invoice_id": str(invoice_id), "payment_id": payment_id,
                            "dispute_id": response.json()["id"], "customer_id": CUSTOMER}
        yield service


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def kpi(infra: Infra) -> AsyncIterator[Running]:
    from o2c_kpi.permissions import ROUTES

    # the reconciliation's sources answer nothing (a closed port), so a run refuses quickly
    def build(url: str) -> FastAPI:
        return kpi_app(KpiSettings(**common(url, infra), recon_invoicing_url="http://127.0.0.1:9",
                                   recon_collections_url="http://127.0.0.1:9"))

    async for service in running(infra, "kpi", build, ROUTES):
        yield service


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def escalation(infra: Infra) -> AsyncIterator[Running]:
    from o2c_escalation.permissions import ROUTES

    async for service in running(infra, "escalation",
                                 lambda url: escalation_app(EscalationSettings(**common(url, infra))), ROUTES):
        case = {"title": "Secret escalation", "description": "for team A only", "requester_function": "sales",
                "category": "portal", "severity": "P3", "customer_id": CUSTOMER, "owning_team": TEAM}
        response = await service.client.post("/cases", json=case, headers=AGENT_A)
        assert response.status_code == 201, response.text
        service.team_ids = {"case_id": response.json()["id"], "customer_id": CUSTOMER, "team": TEAM}
        yield service


async def created(service: Running, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.post(path, json=body, headers=SUPERVISOR)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def workforce(infra: Infra) -> AsyncIterator[Running]:
    """Team ``vendor-a`` with agent ``agent-a`` and its training assignment (vendor-b exists too)."""
    from o2c_workforce.permissions import ROUTES

    async for service in running(infra, "workforce",
                                 lambda url: workforce_app(WorkforceSettings(**common(url, infra))), ROUTES):
        await created(service, "/vendors", {"code": "acme", "name": "Acme BPO"})
        for team in (TEAM, OTHER_TEAM):
            await created(service, "/teams", {"code": team, "name": f"Team {team}", "vendor_code": "acme"})
        skills = ["invoice_preparation"]
        agent = await created(service, "/agents", {"subject": "agent-a", "name": "Agent A", "team": TEAM,
                                                   "start_date": "2026-06-01", "skills": skills})
        await created(service, "/sops", {"code": "SOP-SEC", "title": "Secret SOP", "processes": skills})
        await created(service, "/sops/SOP-SEC/versions", {"effective_from": "2026-06-01", "summary": "v1"})
        listed = await service.client.get("/training/assignments", params={"agent_id": agent["id"]},
                                          headers=SUPERVISOR)
        service.team_ids = {"agent_id": agent["id"], "assignment_id": listed.json()["items"][0]["id"],
                            "team": TEAM}
        yield service
