"""`o2c reconcile` against a fake kpi speaking the reconciliation API's JSON: the drifts as a table with readable
amounts, exit code 1 on drift and 0 without, `--run` runs one, filters, `--json`, and 2 when kpi refuses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException
from typer.testing import CliRunner

from o2c_cli import reconcile
from o2c_cli.main import app

RUNNER = CliRunner(env={"COLUMNS": "200"})
RUN = {"id": "0b6c5a52-6d1c-4a43-9c59-2b1f0f4e0c11", "started_at": "2026-11-30T09:00:00Z",
       "finished_at": "2026-11-30T09:00:02Z", "invoices": 212, "drifting": 2, "confirmed": 1,
       "amount_by_currency": {"JPY": "495000", "USD": "83.51"}, "missing": {"kpi": 1}, "requested_by": "o2c-cli"}
DRIFTS = [
    {"invoice_id": "11111111-0000-0000-0000-000000000001", "invoice_number": "US01-2026-000123",
     "customer_id": "C-ACME", "owning_team": "vendor-a", "currency": "USD", "invoicing_open": "0.00",
     "collections_open": "83.51", "kpi_open": "83.51", "invoicing_sequence": 3, "collections_entries": 4,
     "missing_in": [], "reasons": ["amount", "sequence"], "difference": "83.51",
     "first_seen_at": "2026-11-30T08:50:00Z", "last_seen_at": "2026-11-30T09:00:00Z",
     "notified_at": "2026-11-30T08:55:00Z"},
    {"invoice_id": "11111111-0000-0000-0000-000000000002", "invoice_number": "JP01-2026-000007",
     "customer_id": "C-YEN", "owning_team": "vendor-b", "currency": "JPY", "invoicing_open": "495000",
     "collections_open": "495000", "kpi_open": None, "invoicing_sequence": 1, "collections_entries": 1,
     "missing_in": ["kpi"], "reasons": ["missing_in_kpi"], "difference": "495000",
     "first_seen_at": "2026-11-30T09:00:00Z", "last_seen_at": "2026-11-30T09:00:00Z", "notified_at": None},
]


class FakeKpi:
    def __init__(self) -> None:
        self.run: dict[str, Any] | None = dict(RUN)
        self.drifts = [dict(d) for d in DRIFTS]
        self.calls: list[str] = []
        self.app = FastAPI()

        @self.app.post("/reconciliation/runs")
        async def run_now(authorization: str = Header()) -> dict[str, Any]:
            self.calls.append("POST /reconciliation/runs")
            assert authorization.startswith("Bearer ")
            assert self.run is not None
            return {**self.run, "requested_by": "o2c-cli"}

        @self.app.get("/reconciliation/runs/latest")
        async def latest() -> dict[str, Any]:
            self.calls.append("GET /reconciliation/runs/latest")
            if self.run is None:
                raise HTTPException(404, "no reconciliation has run yet")
            return self.run

        @self.app.get("/reconciliation/drifts")
        async def drifts(limit: int = 50, cursor: str | None = None, currency: str | None = None,
                         team: str | None = None) -> dict[str, Any]:
            kept = [d for d in self.drifts if currency in (None, d["currency"]) and team in (None, d["owning_team"])]
            start = int(cursor or 0)
            return {"items": kept[start:start + 1], "next_cursor": str(start + 1) if start + 1 < len(kept) else None}


@pytest.fixture
def kpi(monkeypatch: pytest.MonkeyPatch) -> FakeKpi:
    fake = FakeKpi()
    monkeypatch.setattr(reconcile, "client", lambda url, token: httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url=url, headers={"Authorization": "Bearer t"}))
    return fake


def test_drifts_are_listed_with_readable_amounts_and_exit_1(kpi: FakeKpi) -> None:
    result = RUNNER.invoke(app, ["reconcile"])
    assert result.exit_code == 1, result.output
    assert "212 invoice(s) compared, 2 drifting (495,000 JPY, 83.51 USD), 1 past the grace" in result.output
    assert "US01-2026-000123" in result.output and "JP01-2026-000007" in result.output  # both pages
    line = next(x for x in result.output.splitlines() if "US01-2026-000123" in x)
    assert "0.00 USD" in line and "83.51 USD" in line and "amount, sequence" in line
    line = next(x for x in result.output.splitlines() if "JP01-2026-000007" in x)
    assert "495,000 JPY" in line and "—" in line and "kpi" in line
    assert "None" not in result.output
    assert "The latest scheduled run, " in result.output and "days ago; `o2c reconcile --run` compares" in result.output
    assert kpi.calls == ["GET /reconciliation/runs/latest"]


def test_no_drift_exits_0_and_run_runs_one(kpi: FakeKpi) -> None:
    assert kpi.run is not None
    kpi.run.update(drifting=0, confirmed=0, amount_by_currency={}, missing={})
    kpi.drifts = []
    result = RUNNER.invoke(app, ["reconcile", "--run"])
    assert result.exit_code == 0, result.output
    assert "212 invoice(s) compared, 0 drifting" in result.output
    assert "latest scheduled run" not in result.output  # it ran just now
    assert kpi.calls == ["POST /reconciliation/runs"]


def test_filters_and_json(kpi: FakeKpi) -> None:
    only_yen = RUNNER.invoke(app, ["reconcile", "--currency", "JPY", "--json"])
    assert only_yen.exit_code == 1
    body = json.loads(only_yen.output)
    assert [d["invoice_number"] for d in body["drifts"]] == ["JP01-2026-000007"] and body["run"]["invoices"] == 212
    other_team = RUNNER.invoke(app, ["reconcile", "--team", "vendor-c"])
    assert other_team.exit_code == 0, other_team.output  # nothing drifts in that team


def test_no_run_yet_is_exit_2_with_how_to_run_one(kpi: FakeKpi) -> None:
    kpi.run = None
    result = RUNNER.invoke(app, ["reconcile"])
    assert result.exit_code == 2
    assert "no reconciliation has run yet; `o2c reconcile --run` compares every invoice now" in result.output
    assert kpi.calls == ["GET /reconciliation/runs/latest"]  # none run unasked
