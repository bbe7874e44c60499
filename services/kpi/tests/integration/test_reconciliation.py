"""The cross-service reconciliation against in-process fakes of invoicing's `GET /settlements` and collections'
`GET /receivables/open-amounts` (the same JSON, served over an ASGI transport), with kpi's real AR movements: a
10.00 drift is a drift row at once, an event after the grace (once), a gauge, and a cleared event when it agrees
again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Header, HTTPException, Query

from o2c_cli.testing import Infra, ServiceHarness, bearer, problem, serving
from o2c_common.auth import JWTVerifier
from o2c_common.db import Database
from o2c_kpi.clock import CLOCK_STATE_ATTR
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import create_app
from services.kpi.tests.integration.conftest import AGENT_A, VIEWER

pytestmark = pytest.mark.integration
SUPERVISOR = bearer("sue", "ar_supervisor")
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class Ledgers:
    """What the fake invoicing and collections answer, by invoice id."""

    invoicing: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    collections: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    down: bool = False
    callers: list[str] = field(default_factory=list)

    def add(self, currency: str, original: str, open_amount: str, *, team: str = "vendor-a", entries: int = 2,
            invoicing_open: str | None = None, in_invoicing: bool = True,
            in_collections: bool = True) -> uuid.UUID:
        invoice_id = uuid.uuid4()
        number = f"US01-2026-{len(self.invoicing) + len(self.collections):06d}"
        if in_invoicing:
            self.invoicing[invoice_id] = {
                "invoice_id": str(invoice_id), "number": number, "customer_id": "CUST-1", "owning_team": team,
                "currency": currency, "total_amount": original, "settlement_status": "partly_settled",
                "ledger_open_amount": invoicing_open or open_amount, "ledger_sequence": entries,
                "cash_applied_amount": "0.00", "credited_amount": "0.00", "ledger_credited_amount": "0.00",
                "written_off_amount": "0.00", "status": "issued", "updated_at": T0.isoformat()}
        if in_collections:
            self.collections[invoice_id] = {
                "invoice_id": str(invoice_id), "invoice_number": number, "customer_id": "CUST-1",
                "owning_team": team, "currency": currency, "original_amount": original, "open_amount": open_amount,
                "entries": entries, "cash_applied_amount": "0.00", "credited_amount": "0.00",
                "written_off_amount": "0.00"}
        return invoice_id


def fake_services(ledgers: Ledgers, verifier: JWTVerifier) -> FastAPI:
    """invoicing's and collections' pages in one app (their paths differ), keyset on invoice id."""
    app = FastAPI()

    async def page(rows: dict[uuid.UUID, dict[str, Any]], after: uuid.UUID | None, limit: int,
             authorization: str) -> dict[str, Any]:
        if ledgers.down:
            raise HTTPException(503, "down for maintenance")
        principal = await verifier.verify(authorization.removeprefix("Bearer "))
        ledgers.callers.append(f"{principal.subject}:{','.join(sorted(principal.roles))}")
        ids = sorted(i for i in rows if after is None or i > after)
        kept = ids[:limit]
        return {"items": [rows[i] for i in kept], "next_after": str(kept[-1]) if len(ids) > limit else None}

    @app.get("/settlements")
    async def settlements(authorization: Annotated[str, Header()], after: uuid.UUID | None = None,
                          limit: Annotated[int, Query(le=1000)] = 500) -> dict[str, Any]:
        return await page(ledgers.invoicing, after, limit, authorization)

    @app.get("/receivables/open-amounts")
    async def open_amounts(authorization: Annotated[str, Header()], after: uuid.UUID | None = None,
                           limit: Annotated[int, Query(le=1000)] = 500) -> dict[str, Any]:
        return await page(ledgers.collections, after, limit, authorization)

    return app


@dataclass
class Recon:
    kpi: ServiceHarness
    ledgers: Ledgers
    now: datetime = T0

    def at(self, when: datetime) -> None:
        self.now = when

    async def movement(self, invoice_id: uuid.UUID, currency: str, amount: str, kind: str = "invoice") -> None:
        """One AR movement in kpi's read model (what kpi's handlers write from the ledger's events)."""
        await self.kpi.execute(
            "INSERT INTO receivable_movements (event_id, line, invoice_id, customer_id, legal_entity, currency, "
            "kind, amount, effective_date, resolved) VALUES (:e, 0, :i, 'CUST-1', 'US01', :c, :k, :a, :d, true)",
            e=uuid.uuid4(), i=invoice_id, c=currency, k=kind, a=Decimal(amount), d=date(2026, 11, 1))

    async def run(self, headers: dict[str, str] = SUPERVISOR) -> dict[str, Any]:
        response = await self.kpi.client.post("/reconciliation/runs", headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def drifts(self, headers: dict[str, str] = SUPERVISOR, **params: str) -> list[dict[str, Any]]:
        response = await self.kpi.client.get("/reconciliation/drifts", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def drift_events(self) -> list[tuple[str, str]]:
        rows = await self.kpi.rows("SELECT event_type, key FROM outbox ORDER BY id")
        return [(r[0].removeprefix("o2c.").removesuffix(".v1"), r[1]) for r in rows
                if "reconciliation" in r[0]]


@pytest_asyncio.fixture(loop_scope="session")
async def recon(infra: Infra, kpi_db: Database) -> AsyncIterator[Recon]:
    settings = KpiSettings(database_url=kpi_db.url, kafka_bootstrap_servers=infra.kafka_bootstrap,
                           run_workers=False, log_json=False, environment="test", recon_grace_s=120,
                           recon_page_size=2, recon_invoicing_url="http://invoicing",
                           recon_collections_url="http://collections")
    ledgers = Ledgers()
    app = create_app(settings)
    app.state.recon_transport = httpx.ASGITransport(app=fake_services(ledgers, JWTVerifier.from_settings(settings)))
    async with serving(app, base_url="http://kpi") as client:
        state = Recon(kpi=ServiceHarness(app=app, client=client, db=kpi_db), ledgers=ledgers)
        setattr(app.state, CLOCK_STATE_ATTR, lambda: state.now)
        yield state


async def test_a_drift_is_a_row_at_once_an_event_after_the_grace_and_cleared_when_it_agrees(recon: Recon) -> None:
    agreeing = recon.ledgers.add("USD", "250.00", "0.00", entries=3)
    drifting = recon.ledgers.add("USD", "100.00", "90.00")  # kpi missed a 10.00 credit
    lost = recon.ledgers.add("EUR", "50.00", "50.00", entries=1)  # kpi never heard of it
    yen = recon.ledgers.add("JPY", "495000", "0", entries=2)
    await recon.movement(agreeing, "USD", "250.00")
    await recon.movement(agreeing, "USD", "-250.00", "payment")
    await recon.movement(drifting, "USD", "100.00")
    await recon.movement(yen, "JPY", "495000")
    await recon.movement(yen, "JPY", "-495000", "payment")

    first = await recon.run()
    assert (first["invoices"], first["drifting"], first["confirmed"]) == (4, 2, 0)
    assert first["amount_by_currency"] == {"EUR": "50.00", "USD": "10.00"}
    assert first["missing"] == {"kpi": 1}
    assert await recon.drift_events() == []  # within the grace: consumer lag, not yet a drift to report
    assert set(recon.ledgers.callers) == {"system:reconciliation:integration"}

    rows = {d["invoice_id"]: d for d in await recon.drifts()}
    assert set(rows) == {str(drifting), str(lost)}
    assert rows[str(drifting)]["invoicing_open"] == "90.00" and rows[str(drifting)]["collections_open"] == "90.00"
    assert Decimal(rows[str(drifting)]["kpi_open"]) == Decimal("100") and rows[str(drifting)]["reasons"] == ["amount"]
    assert rows[str(lost)]["missing_in"] == ["kpi"] and rows[str(lost)]["kpi_open"] is None

    metrics = (await recon.kpi.client.get("/metrics")).text
    assert "o2c_reconciliation_drift_invoices 2.0" in metrics
    assert 'o2c_reconciliation_drift_amount{currency="USD"} 10.0' in metrics

    recon.at(T0 + timedelta(seconds=121))
    second = await recon.run()
    assert (second["drifting"], second["confirmed"]) == (2, 2)
    assert sorted(await recon.drift_events()) == sorted([("reconciliation.drift_detected", f"invoice:{drifting}"),
                                                         ("reconciliation.drift_detected", f"invoice:{lost}")])
    recon.at(T0 + timedelta(seconds=400))
    await recon.run()
    assert len(await recon.drift_events()) == 2  # reported once

    await recon.movement(drifting, "USD", "-10.00", "credit_note")  # kpi catches up
    recon.at(T0 + timedelta(seconds=700))
    third = await recon.run()
    assert (third["drifting"], third["confirmed"]) == (1, 1)
    assert (await recon.drift_events())[-1] == ("reconciliation.drift_cleared", f"invoice:{drifting}")
    assert [d["invoice_id"] for d in await recon.drifts()] == [str(lost)]
    latest = (await recon.kpi.client.get("/reconciliation/runs/latest", headers=VIEWER)).json()
    assert latest["id"] == third["id"] and latest["amount_by_currency"] == {"EUR": "50.00"}

    await recon.movement(lost, "EUR", "50.00")
    final = await recon.run()
    assert final["drifting"] == 0 and final["amount_by_currency"] == {}  # the figures agree per invoice
    assert "o2c_reconciliation_drift_invoices 0.0" in (await recon.kpi.client.get("/metrics")).text


async def test_lagging_mirror_and_missing_sides_are_drifts_with_their_reason(recon: Recon) -> None:
    lagging = recon.ledgers.add("USD", "100.00", "40.00", entries=3)
    recon.ledgers.invoicing[lagging]["ledger_sequence"] = 2  # invoicing has not mirrored the last entry yet
    recon.ledgers.invoicing[lagging]["ledger_open_amount"] = "100.00"
    only_ledger = recon.ledgers.add("GBP", "75.00", "75.00", in_invoicing=False)
    await recon.movement(lagging, "USD", "100.00")
    await recon.movement(lagging, "USD", "-60.00", "payment")
    await recon.movement(only_ledger, "GBP", "75.00")
    await recon.run()
    rows = {d["invoice_id"]: d for d in await recon.drifts()}
    assert rows[str(lagging)]["reasons"] == ["amount", "sequence"]
    assert (rows[str(lagging)]["invoicing_sequence"], rows[str(lagging)]["collections_entries"]) == (2, 3)
    assert Decimal(rows[str(lagging)]["difference"]) == Decimal("60")
    assert rows[str(only_ledger)]["missing_in"] == ["invoicing"]


async def test_a_source_that_cannot_be_read_is_a_502_and_clears_nothing(recon: Recon) -> None:
    invoice = recon.ledgers.add("USD", "100.00", "100.00")
    await recon.run()
    recon.ledgers.down = True
    body = problem(await recon.kpi.client.post("/reconciliation/runs", headers=SUPERVISOR), 502)
    assert "invoicing answered 503" in body["detail"]
    assert [d["invoice_id"] for d in await recon.drifts()] == [str(invoice)]  # still open, not cleared
    assert len(await recon.kpi.rows("SELECT id FROM recon_runs")) == 1


async def test_who_may_run_and_see(recon: Recon) -> None:
    mine = recon.ledgers.add("USD", "10.00", "10.00", team="vendor-a")
    recon.ledgers.add("USD", "20.00", "20.00", team="vendor-b")
    problem(await recon.kpi.client.post("/reconciliation/runs", headers=VIEWER), 403)
    assert (await recon.run(bearer("ci", "integration")))["drifting"] == 2
    assert [d["invoice_id"] for d in await recon.drifts(AGENT_A)] == [str(mine)]
    problem(await recon.kpi.client.get("/reconciliation/drifts", headers=AGENT_A, params={"team": "vendor-b"}), 403)
    assert len(await recon.drifts(currency="USD", team="vendor-b")) == 1
    audit = await recon.kpi.rows("SELECT actor, action FROM audit_log ORDER BY id")
    assert [tuple(r) for r in audit] == [("ci", "reconciliation.run")]
