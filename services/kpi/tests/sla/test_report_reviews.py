"""Reviews people present (issue 17 item 5): tiles with readable titles against target and the previous period,
currencies without activity left out (detail on demand), a generated narrative, the daily huddle's due work and
escalations, the PDF, and each vendor agent seeing only its own team's review."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from o2c_common.events.contracts import workforce as wf
from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.examples import example_payload
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS
from o2c_kpi.operations.handlers import HANDLERS as OPERATIONS_HANDLERS
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
FPA_TARGET = {"id": "fpa-monthly", "name": "First pass per team, monthly", "metric": "first_pass_acceptance_rate",
              "scope_type": "team", "target": "95", "comparator": "ge", "unit": "percent", "window": "month",
              "severity": "P3"}


def ledger(amount: str, day: date, *, team: str, currency: str = "USD", credited_on: date | None = None) -> list[Any]:
    """An invoice issued on ``day`` (due 30 days later) and its ledger entries; ``credited_on``: fully credited."""
    invoice_id = uuid.uuid4()
    ids = {"invoice_id": invoice_id, "invoice_number": f"US01-2026-{invoice_id.hex[:6]}", "legal_entity": "US01",
           "customer_id": "CUST-1", "currency": currency, "issue_date": day, "due_date": day + timedelta(days=30),
           "owning_team": team}
    totals = {"original_amount": amount, "cash_applied_total": "0", "written_off_total": "0",
              "posted_by": "system:collections", "posted_at": FRIDAY}
    events = [wrap(InvoiceIssued(**ids, amount=amount, tax_amount="0", issued_at=FRIDAY)),
              wrap(ReceivableChanged(**ids, **totals, sequence=1, kind="invoice", amount=amount, effective_date=day,
                                     open_amount_after=amount, credited_total="0"))]
    if credited_on is not None:
        events.append(wrap(ReceivableChanged(**ids, **totals, sequence=2, kind="credit_note", amount=f"-{amount}",
                                             effective_date=credited_on, open_amount_after="0",
                                             credited_total=amount)))
    return events


def escalation(team: str, opened: datetime) -> Any:
    return wrap(EscalationOpened(
        case_id=uuid.uuid4(), case_number="ESC-000042", category="portal", severity="P2", tier="L1",
        owning_team=team, assignee="carl", source="api", title="Portal keeps rejecting", opened_at=opened,
        acknowledge_due_at=opened + timedelta(hours=4), resolve_due_at=opened + timedelta(days=3)))


def reviewed(team: str, score: str, day: date, *defects: tuple[str, str, str]) -> Any:
    return wrap(example_payload(
        wf.QualityReviewed, sample_id=uuid.uuid4(), team=team, score=Decimal(score), agent=f"agent-of-{team}",
        defects=tuple(d[0] for d in defects), defect_types=tuple(wf.DefectType(code=c, category=k, label=label)
                                                                   for c, k, label in defects),
        reviewed_at=datetime.combine(day, datetime.min.time(), UTC).replace(hour=10)))


async def load(service: Service) -> None:
    """The facts into the KPI read models (the core's handlers) and the operations review's; portal outcomes into
    the SLA consumer's too."""
    wrong_po = ("wrong_po", "data", "Wrong PO number")
    quality = [wrap(example_payload(wf.VendorChanged, vendor_id=uuid.uuid4(), code="acme", name="Acme BPO")),
               *[wrap(example_payload(wf.TeamChanged, team_id=uuid.uuid4(), team=t, vendor_code="acme"))
                 for t in ("vendor-a", "vendor-b")],
               reviewed("vendor-a", "80", date(2026, 11, 20), wrong_po), reviewed("vendor-a", "90", date(2026, 10, 20)),
               reviewed("vendor-b", "100", date(2026, 11, 20))]
    facts = [*ledger("1000.00", date(2026, 11, 2), team="vendor-a"),
             *ledger("500.00", date(2026, 11, 16), team="vendor-a"),
             *ledger("250.00", date(2026, 10, 5), team="vendor-a"),  # due 4 Nov: past due in November
             *ledger("300.00", date(2026, 10, 24), team="vendor-b"),  # due Monday 23 Nov
             *ledger("100.00", date(2025, 1, 6), team="vendor-a", currency="EUR", credited_on=date(2025, 1, 10)),
             escalation("vendor-a", datetime(2026, 11, 10, 9, tzinfo=UTC))]
    outcomes = [approved("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY), approved("vendor-b", FRIDAY)]
    for event in facts + outcomes:
        async with service.transactions.begin("system:kpi") as tx:
            await FACT_HANDLERS[type(event.data)](tx, event)
    for event in facts + outcomes + quality:
        if type(event.data) in OPERATIONS_HANDLERS:
            async with service.transactions.begin("system:kpi-operations") as tx:
                await OPERATIONS_HANDLERS[type(event.data)](tx, event)
    await service.handle(*outcomes)


def tile(body: dict[str, Any], name: str, currency: str | None = None) -> dict[str, Any]:
    return next(t for t in body["tiles"] if t["name"] == name and t["currency"] == currency)


async def test_monthly_review_compares_with_target_and_previous_month(service: Service) -> None:
    await load(service)
    assert (await service.client.post("/sla-definitions", json=FPA_TARGET, headers=SUPERVISOR)).status_code == 201
    service.clock.move_to(FRIDAY + timedelta(days=5))
    assert await sweep_timers_once(service.transactions, settings=service.settings, clock=service.clock) == 1
    url = "/reports/monthly-business-review?date=2026-11-20"
    body = (await service.client.get(url, headers=SUPERVISOR)).json()
    assert body["previous_label"] == "2026-10"
    sales = tile(body, "credit_sales", "USD")
    assert (sales["title"], sales["shown"], sales["previous_shown"]) == ("Credit sales", "1,500.00 USD", "550.00 USD")
    assert (sales["direction"], sales["good"]) == ("up", True)
    past_due = tile(body, "past_due_ar", "USD")  # 0 at the end of October, 550 at the end of November
    assert (past_due["value"], past_due["previous"], past_due["direction"], past_due["good"]) == \
        ("550.00", "0.00", "up", False)  # more past-due AR is bad
    first_pass = tile(body, "first_pass_acceptance_rate")
    assert (first_pass["shown"], first_pass["target_shown"], first_pass["on_target"]) == ("66.67 %", "≥ 95 %", False)
    assert "EUR" not in {t["currency"] for t in body["tiles"]} | {v["currency"] for v in body["headline"]}
    assert body["detail"] == []
    assert 3 <= len(body["narrative"]) <= 6
    assert any(s.startswith("Credit sales rose from 550.00 USD to 1,500.00 USD") for s in body["narrative"])
    assert any("vendor-a breached its SLAs 1 time" in s for s in body["narrative"])
    assert any("First-pass portal acceptance rate (66.67 %, target ≥ 95 %)" in s for s in body["narrative"])
    assert [(b["team"], b["severity"]) for b in body["breach_list"]] == [("vendor-a", "P3")]
    reasons = next(p for p in body["pareto"] if p["title"] == "Portal rejection reasons")
    bars = [(b["label"], Decimal(b["value"]), Decimal(b["cumulative_percent"])) for b in reasons["bars"]]
    assert bars == [("Missing PO", 1, 100)]

    detailed = (await service.client.get(url + "&detail=currency", headers=SUPERVISOR)).json()
    assert ("ar_balance", "EUR", "0.00") in {(v["name"], v["currency"], v["value"]) for v in detailed["detail"]}

    html = (await service.client.get(url, headers={**SUPERVISOR, "Accept": "text/html"})).text
    assert "Credit sales" in html and "DSO (standard)" in html and "≥ 95 %" in html and "▲" in html
    assert not re.search(r">[a-z]+_[a-z_]+<", html)  # no field name shown as text
    assert ">EUR<" not in html and 'class="bad"' in html
    assert "Dispute root causes" in html and "Quality score per team" in html and ">Acme BPO<" in html
    quality = body["operations"]["current"]["quality"]["overall"]
    assert (quality["reviewed"], quality["average_score_text"]) == (2, "90 %")
    assert any(s == "Quality score 90 % over 2 reviewed items (previous period 90 %)." for s in body["narrative"])
    assert body["narrative"][0] in html


async def test_review_as_pdf(service: Service) -> None:
    await load(service)
    url = "/reports/monthly-business-review?date=2026-11-20"
    response = await service.client.get(url, headers={**SUPERVISOR, "Accept": "application/pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert 'filename="monthly-business-review-2026-11.pdf"' in response.headers["content-disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Monthly business review 2026-11", "Credit sales", "1,500.00 USD", "SLA attainment per vendor",
                     "Portal rejection reasons", "Open corrective actions and escalations", "ESC-000042", "carl"):
        assert expected in text, expected
    by_query = await service.client.get(url + "&format=pdf&team=vendor-b", headers=VIEWER)
    assert by_query.content.startswith(b"%PDF") and 'vendor-b.pdf"' in by_query.headers["content-disposition"]
    assert "vendor-a" not in "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(by_query.content)).pages)


async def test_daily_huddle_shows_due_work_for_the_agents_own_team(service: Service) -> None:
    await load(service)
    service.clock.move_to(datetime(2026, 11, 23, 7, tzinfo=UTC))  # Monday morning: the huddle of Sunday 22 Nov
    body = (await service.client.get("/reports/daily-huddle", headers=SUPERVISOR)).json()
    assert (body["period_label"], body["previous_label"], body["period_kind"]) == ("2026-11-22", "2026-11-21", "day")
    due = {(d["what"], d["team"]): d for d in body["due_today"]}
    invoices = due[("Invoices falling due", "vendor-b")]
    assert (invoices["count"], invoices["amount"], invoices["currency"]) == (1, "300.00", "USD")
    clocks = [d for d in body["due_today"] if d["amount"] is None]
    assert [(d["team"], d["count"]) for d in clocks] == [("vendor-a", 1)]  # the rejection awaiting resubmission
    assert [(e["team"], e["agent"], e["age_days"]) for e in body["escalations"]] == [("vendor-a", "carl", 12)]
    assert any(s.startswith("At risk today: 1 SLA clock runs out") for s in body["narrative"])
    assert {t["name"] for t in body["tiles"]} >= {"credit_sales", "backlog", "first_pass_acceptance_rate"}
    assert all(len(t["points"]) == 7 for t in body["trends"])

    own = (await service.client.get("/reports/daily-huddle?date=2026-11-22", headers=AGENT_A)).json()
    assert own["team"] == "vendor-a"
    assert {d["team"] for d in own["due_today"]} == {"vendor-a"} and len(own["escalations"]) == 1
    other = (await service.client.get("/reports/daily-huddle?date=2026-11-22", headers=AGENT_B)).json()
    assert [(d["what"], d["team"]) for d in other["due_today"]] == [("Invoices falling due", "vendor-b")]
    assert other["escalations"] == [] and other["breach_list"] == []
    assert problem(await service.client.get("/reports/daily-huddle?team=vendor-a", headers=AGENT_B), 403)
    page = (await service.client.get("/reports/daily-huddle?date=2026-11-22&format=html", headers=AGENT_B)).text
    assert "Due today" in page and "vendor-b" in page and "vendor-a" not in page


async def test_money_consolidated_in_a_reporting_currency(service: Service) -> None:
    await load(service)
    for event in ledger("1000", date(2026, 11, 3), team="vendor-a", currency="JPY"):  # JPY: no rate held
        async with service.transactions.begin("system:kpi") as tx:
            await FACT_HANDLERS[type(event.data)](tx, event)
    put = await service.client.put("/fx/rates/2026-11-02/USD", json={"rate": "1.25"},
                                   headers={**SUPERVISOR, "If-None-Match": "*"})
    assert put.status_code == 200, put.text
    url = "/reports/monthly-business-review?date=2026-11-20&currency=EUR"
    body = (await service.client.get(url, headers=SUPERVISOR)).json()
    assert (body["reporting_currency"], body["fx_rate_date"], body["fx_missing"]) == ("EUR", "2026-11-02", ["JPY"])
    sales = tile(body, "credit_sales", "EUR")  # 1,500 USD at 1.25 USD per EUR; the JPY left out, named
    assert (sales["shown"], sales["previous_shown"]) == ("1,200.00 EUR", "—")  # no rate on or before 31 Oct
    assert {t["currency"] for t in body["tiles"] if t["unit"] == "money"} == {"EUR"}
    html = (await service.client.get(url + "&format=html", headers=SUPERVISOR)).text
    assert "Money in EUR, consolidated at the FX rates in force up to 2026-11-02" in html
    assert "no current rate for JPY: left out" in html
    assert problem(await service.client.get(url.replace("EUR", "euro"), headers=SUPERVISOR), 422)
