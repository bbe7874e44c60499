"""Reports: the weekly cadence, the MBR and the QBR as JSON (numbers as decimal strings), CSV (parses) and HTML
(inline SVG charts, nothing external); daily snapshots taken once per day; access by team."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS
from o2c_kpi.reports.render import CSV_COLUMNS
from o2c_kpi.reports.snapshots import take_due
from o2c_kpi.sla.workers import sweep_timers_once
from services.kpi.tests.sla.conftest import (
    AGENT_A,
    AGENT_B,
    FRIDAY,
    SUPERVISOR,
    VIEWER,
    Service,
    approved,
    problem,
    rejected,
    wrap,
)

pytestmark = pytest.mark.integration


def issued(amount: str, day: date, team: str = "vendor-a") -> list[Any]:
    """``invoice.issued`` and the ledger's opening entry (``receivable.changed``, from which AR comes)."""
    invoice_id = uuid.uuid4()
    ids = {"invoice_id": invoice_id, "invoice_number": f"US01-2026-{invoice_id.hex[:6]}", "legal_entity": "US01",
           "customer_id": "CUST-1", "currency": "USD", "issue_date": day, "due_date": day + timedelta(days=30),
           "owning_team": team}
    return [wrap(InvoiceIssued(**ids, amount=amount, tax_amount="0", issued_at=FRIDAY)),
            wrap(ReceivableChanged(**ids, sequence=1, kind="invoice", amount=amount, effective_date=day,
                                   original_amount=amount, open_amount_after=amount, cash_applied_total="0",
                                   credited_total="0", written_off_total="0", posted_by="system:collections",
                                   posted_at=FRIDAY))]


async def load(service: Service) -> None:
    """Invoices into the KPI read models (the core's handlers) and portal outcomes into both consumers'."""
    facts = [*issued("1000.00", date(2026, 11, 2)), *issued("500.00", date(2026, 11, 16)),
             *issued("250.00", date(2026, 10, 5))]
    outcomes = [approved("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY), approved("vendor-b", FRIDAY)]
    for event in facts + outcomes:
        async with service.transactions.begin("system:kpi") as tx:
            await FACT_HANDLERS[type(event.data)](tx, event)
    await service.handle(*outcomes)


def floats(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats(v)]
    return []


async def test_monthly_business_review_in_three_formats(service: Service) -> None:
    await load(service)
    service.clock.move_to(FRIDAY + timedelta(days=5))
    assert await sweep_timers_once(service.transactions, settings=service.settings,
                                   clock=service.clock) == 1  # the rejection was not resubmitted in time
    url = "/reports/monthly-business-review?date=2026-11-20"
    response = await service.client.get(url, headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["period_label"], body["period_start"], body["period_end"]) == ("2026-11", "2026-11-01", "2026-11-30")
    assert floats(body) == []  # every number a decimal string, as in every KPI
    headline = {(v["name"], v["currency"], v["dimension"]): v["value"] for v in body["headline"]}
    assert headline[("credit_sales", "USD", None)] == "1500.00"
    assert headline[("ar_balance", "USD", None)] == "1750.00"
    dso = next(t for t in body["trends"] if t["name"] == "dso")
    assert [p["label"] for p in dso["points"]] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    teams = {t["team"]: t for t in body["sla_attainment"]}
    assert set(teams) >= {"vendor-a"}
    timer = next(d for d in teams["vendor-a"]["definitions"]
                 if d["definition_id"] == "portal-rejection-resubmitted-1bd")
    assert (timer["met"], timer["total"], timer["attainment_percent"]) == (0, 1, "0.00")
    assert (teams["vendor-a"]["met"], teams["vendor-a"]["total"]) == (0, 1)
    assert body["breaches"] == 1

    csv_response = await service.client.get(url + "&format=csv", headers=SUPERVISOR)
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert 'filename="monthly-business-review-2026-11.csv"' in csv_response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    credit = [r for r in rows if r["section"] == "headline" and r["name"] == "credit_sales"]
    assert [(r["currency"], r["value"], r["period"]) for r in credit] == [("USD", "1500.00", "2026-11")]
    assert any(r["section"] == "trend" and r["name"] == "dso" and r["period"] == "2026-10" for r in rows)
    assert any(r["section"] == "sla_attainment" and r["team"] == "vendor-a" for r in rows)

    page = await service.client.get(url + "&format=html", headers=SUPERVISOR)
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.count("<svg") >= 2 and "<polyline" in html and "<rect" in html  # trends and attainment bars
    assert "Monthly business review 2026-11" in html and "vendor-a" in html
    for external in ("http://", "https://", "<script", " src=", "@import", "url("):
        assert external not in html


@pytest.mark.parametrize(("kind", "label", "points"), [("weekly-cadence", "2026-W47", 8), ("qbr", "2026-Q4", 4)])
async def test_weekly_cadence_and_qbr(service: Service, kind: str, label: str, points: int) -> None:
    await load(service)
    response = await service.client.get(f"/reports/{kind}?date=2026-11-20", headers=VIEWER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period_label"] == label and body["report"] == kind
    assert all(len(t["points"]) == points for t in body["trends"]) and body["trends"]
    assert floats(body) == []
    page = await service.client.get(f"/reports/{kind}?date=2026-11-20&format=html", headers=VIEWER)
    assert "<svg" in page.text and "https://" not in page.text
    rows = list(csv.reader(io.StringIO((await service.client.get(
        f"/reports/{kind}?date=2026-11-20&format=csv", headers=VIEWER)).text)))
    assert rows[0] == list(CSV_COLUMNS) and all(len(r) == len(CSV_COLUMNS) for r in rows)


async def test_reports_respect_teams_and_refuse_bad_input(service: Service) -> None:
    await load(service)
    assert problem(await service.client.get("/reports/qbr"), 401)
    assert problem(await service.client.get("/reports/annual-review", headers=VIEWER), 422)
    assert problem(await service.client.get("/reports/qbr?format=xlsx", headers=VIEWER), 422)
    assert problem(await service.client.get("/reports/qbr?detail=everything", headers=VIEWER), 422)
    assert problem(await service.client.get("/reports/qbr?team=vendor-a", headers=AGENT_B), 403)
    own = (await service.client.get("/reports/monthly-business-review?date=2026-11-20", headers=AGENT_A)).json()
    assert own["team"] == "vendor-a" and [t["team"] for t in own["sla_attainment"]] == ["vendor-a"]
    headline = {(v["name"], v["currency"]): v["value"] for v in own["headline"] if v["dimension"] is None}
    assert headline[("credit_sales", "USD")] == "1500.00"
    other = (await service.client.get("/reports/monthly-business-review?date=2026-11-20", headers=AGENT_B)).json()
    assert not any(v["name"] == "credit_sales" and v["value"] not in (None, "0.00") for v in other["headline"])


async def test_daily_snapshot_is_taken_once_per_day(service: Service) -> None:
    await load(service)
    service.clock.move_to(FRIDAY + timedelta(days=1))  # Saturday: Friday's snapshot is due, and the 6 days before
    taken = 0
    while await take_due(service.transactions, clock=service.clock):
        taken += 1
    assert taken == 7
    days = await service.rows("SELECT day FROM report_snapshot_runs ORDER BY day")
    assert [d for (d,) in days] == [date(2026, 11, 14) + timedelta(days=n) for n in range(7)]
    stored = await service.scalar("SELECT count(*) FROM report_snapshot_values")
    assert stored > 0
    assert await take_due(service.transactions, clock=service.clock) == 0  # a second replica, a restart: nothing new
    assert await service.scalar("SELECT count(*) FROM report_snapshot_values") == stored
    service.clock.move_to(FRIDAY + timedelta(days=2))
    assert await take_due(service.transactions, clock=service.clock) == 1  # Saturday's
    assert await take_due(service.transactions, clock=service.clock) == 0

    response = await service.client.get("/reports/daily-snapshots?since=2026-11-20&until=2026-11-20"
                                        "&names=ar_balance,credit_sales", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    values = {(v["scope"], v["name"], v["currency"]): v["value"] for v in response.json()}
    assert values[("global", "ar_balance", "USD")] == "1750.00"
    assert values[("team:vendor-a", "ar_balance", "USD")] == "1750.00"
    assert ("team:vendor-b", "ar_balance", "USD") not in values or values[("team:vendor-b", "ar_balance", "USD")] \
        == "0.00"
    as_csv = await service.client.get("/reports/daily-snapshots?since=2026-11-20&until=2026-11-20&format=csv",
                                      headers=AGENT_A)
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows and {r["scope"] for r in rows} == {"team:vendor-a"}
    assert problem(await service.client.get("/reports/daily-snapshots?since=2026-11-20&until=2026-11-01",
                                            headers=SUPERVISOR), 422)
    # Without a window: the last 30 days up to the clock's day (Sunday 22), which hold every snapshot taken.
    recent = await service.client.get("/reports/daily-snapshots", headers=SUPERVISOR)
    assert {v["day"] for v in recent.json()} == {(date(2026, 11, 14) + timedelta(days=n)).isoformat()
                                                 for n in range(8)}
    up_to = await service.client.get("/reports/daily-snapshots?until=2026-11-15", headers=SUPERVISOR)
    assert {v["day"] for v in up_to.json()} == {"2026-11-14", "2026-11-15"}
