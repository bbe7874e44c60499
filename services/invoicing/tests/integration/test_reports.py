"""The weekly invoicing cadence report: JSON and CSV, by account, owner, channel, status and age bucket, with
counts and amounts per currency; vendor agents see their team only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from services.invoicing.tests.conftest import AGENT_A, AGENT_B, INTEGRATION, SUPERVISOR, VIEWER, Service, problem, token

pytestmark = pytest.mark.integration


def _week(day: datetime) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


async def test_cadence_report_as_json_and_csv(service: Service) -> None:
    response = await service.client.put("/billing-profiles/CUST-1", headers=SUPERVISOR, json={
        "name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa", "owning_team": "vendor-a"})
    assert response.status_code == 201
    now = datetime.now(UTC)
    await service.issued()
    await service.issued()
    await service.issued(currency="EUR")
    await service.create(headers=token("pia", "billing_specialist"), customer_id="CUST-2", owning_team="vendor-b")
    old = await service.issued(issue_date=(now.date() - timedelta(days=21)).isoformat())

    report = (await service.client.get("/reports/invoicing-cadence", headers=VIEWER,
                                       params={"week": _week(now)})).json()
    assert report["week"] == _week(now) and report["as_of"] == now.date().isoformat()
    rows = {(r["customer_id"], r["owner"], r["channel"], r["status"], r["currency"]): r for r in report["rows"]}
    assert set(rows) == {("CUST-1", "pat", "coupa", "issued", "USD"), ("CUST-1", "pat", "coupa", "issued", "EUR"),
                         ("CUST-2", "pia", "none", "draft", "USD")}
    usd = rows[("CUST-1", "pat", "coupa", "issued", "USD")]
    assert (usd["count"], usd["amount"], usd["age_bucket"], usd["customer_name"], usd["owning_team"]) == (
        2, "220.02", "0-2", "Acme", "vendor-a")
    assert {(t["status"], t["currency"], t["count"], t["amount"]) for t in report["by_status"]} == {
        ("draft", "USD", 1, "110.01"), ("issued", "EUR", 1, "110.01"), ("issued", "USD", 2, "220.02")}

    earlier = (await service.client.get("/reports/invoicing-cadence", headers=VIEWER,
                                        params={"week": _week(now - timedelta(days=21))})).json()
    assert [(r["customer_id"], r["count"]) for r in earlier["rows"]] == [("CUST-1", 1)]
    assert earlier["rows"][0]["age_bucket"] in {"0-2", "3-7"} and old["status"] == "issued"

    as_csv = await service.client.get("/reports/invoicing-cadence", headers=VIEWER,
                                      params={"week": _week(now), "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(lines) == 3 and {line["amount"] for line in lines} == {"220.02", "110.01"}
    negotiated = await service.client.get("/reports/invoicing-cadence", params={"week": _week(now)},
                                          headers={**VIEWER, "Accept": "text/csv"})
    assert negotiated.text == as_csv.text

    mine = (await service.client.get("/reports/invoicing-cadence", headers=AGENT_B,
                                     params={"week": _week(now)})).json()
    assert [r["customer_id"] for r in mine["rows"]] == ["CUST-2"] and mine["team"] == "vendor-b"
    problem(await service.client.get("/reports/invoicing-cadence", headers=AGENT_A, params={"team": "vendor-b"}),
            403)


async def test_cadence_report_bad_input_is_a_problem(service: Service) -> None:
    problem(await service.client.get("/reports/invoicing-cadence"), 401)
    problem(await service.client.get("/reports/invoicing-cadence", headers=token("x", "collector")), 403)
    problem(await service.client.get("/reports/invoicing-cadence", headers=VIEWER, params={"week": "2026-47"}), 422)
    problem(await service.client.get("/reports/invoicing-cadence", headers=VIEWER, params={"week": "2026-W60"}), 422)
    problem(await service.client.get("/reports/invoicing-cadence", headers=VIEWER, params={"format": "xls"}), 422)
    assert (await service.client.get("/reports/invoicing-cadence", headers=INTEGRATION)).status_code == 200
