"""Dunning on a real database with statements over real SMTP to the local mail server (`o2c mail`): seeded policies and
templates, one statement per customer and level listing every overdue invoice, levels never skipped, the account's
language and contacts, failures with their reason in the API and the next run trying again, held amounts left out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest_asyncio

from o2c_cli.testing import MailSink, mail_sink
from services.collections.tests.conftest import AGENT_A, COLLECTOR, SUPERVISOR, Service, problem


@pytest_asyncio.fixture(loop_scope="session")
async def sink(service: Service, tmp_path: Path) -> AsyncIterator[MailSink]:
    with mail_sink(tmp_path / "mail") as smtp:
        service.settings.smtp_port = smtp.port
        yield smtp


CONTACTS = [{"name": "Anna", "email": "anna@acme.example"}, {"email": "cfo@acme.example", "role": "dunning_copy"}]


async def run(service: Service, as_of: str) -> dict[str, Any]:
    response = await service.client.post(f"/dunning/runs?as_of={as_of}", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def account(service: Service, customer: str, **values: Any) -> None:
    response = await service.client.put(f"/accounts/{customer}", json=values, headers=SUPERVISOR)
    assert response.status_code == 200, response.text


async def events(service: Service, kind: str) -> list[dict[str, Any]]:
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = :t ORDER BY id", t=f"o2c.{kind}.v1")
    return [json.loads(r[0]) for r in rows]


async def test_policies_and_templates_are_seeded(service: Service) -> None:
    policies = (await service.client.get("/dunning/policies", headers=COLLECTOR)).json()
    assert {p["id"]: [lv["days_past_due"] for lv in p["levels"]] for p in policies} == {
        "key_account": [7, 21, 45], "standard": [1, 15, 30, 45]}
    templates = {(t["template"], t["language"]) for t in
                 (await service.client.get("/dunning/templates", headers=COLLECTOR)).json()}
    assert {(t, lang) for t in ("reminder", "second_reminder", "final_demand", "final_notice")
            for lang in ("en", "de")} <= templates


async def test_one_statement_per_customer_lists_every_overdue_invoice_and_levels_are_never_skipped(
        service: Service, sink: MailSink) -> None:
    await account(service, "ACME", name="Acme GmbH", language="de", dunning_contacts=CONTACTS, owning_team="vendor-a")
    for number, amount, due in (("INV-A1", "1000.00", date(2026, 1, 11)), ("INV-A2", "250.50", date(2026, 1, 20)),
                                ("INV-A3", "99.00", date(2026, 1, 25))):
        await service.issue(number, amount, customer="ACME", due_date=due)
    await service.issue("INV-A4", "10.00", customer="ACME", due_date=date(2026, 3, 1))  # not due yet
    first = await run(service, "2026-01-31")  # the oldest is 20 days late: level 1 first, never 2
    assert (first["sent"], first["failed"]) == (1, 0)
    assert [(s["customer_id"], s["level"], s["status"]) for s in first["statements"]] == [("ACME", 1, "sent")]
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert (mail["To"], mail["Cc"]) == ("anna@acme.example", "cfo@acme.example")
    assert mail["Subject"] == "Zahlungserinnerung: 1,349.50 USD überfällig"
    text = mail.get_payload(decode=True).decode()
    assert all(n in text for n in ("INV-A1", "INV-A2", "INV-A3")) and "INV-A4" not in text
    assert "Acme GmbH" in text and "1,000.00 USD" in text and "None" not in text
    again = await run(service, "2026-01-31")
    assert (again["sent"], again["already_sent"]) == (0, 1) and len(sink.messages) == 1
    too_soon = await run(service, "2026-02-03")  # level 2 is due by days past due, but only 3 days after level 1
    assert too_soon["sent"] == 0
    later = await run(service, "2026-02-20")  # 40 days late: level 2, not 3
    assert [s["level"] for s in later["statements"]] == [2]
    assert sink.messages[-1]["Subject"].startswith("Zweite Mahnung")
    sent = await events(service, "dunning.statement_sent")
    assert [(e["level"], e["language"], e["template"], len(e["items"]), e["total_due"]) for e in sent] == [
        (1, "de", "reminder", 3, "1349.50"), (2, "de", "second_reminder", 3, "1349.50")]
    assert sent[0]["owning_team"] == "vendor-a" and sent[0]["recipients_count"] == 2
    listed = (await service.client.get("/dunning/statements?customer_id=ACME", headers=AGENT_A)).json()["items"]
    assert [(s["level"], [i["invoice_number"] for i in s["items"]]) for s in listed] == [
        (2, ["INV-A1", "INV-A2", "INV-A3"]), (1, ["INV-A1", "INV-A2", "INV-A3"])]
    assert listed[1]["items"][1]["amount"] == "250.50" and listed[1]["total_due"] == "1349.50"
    the_run = (await service.client.get(f"/dunning/runs/{first['run_id']}", headers=COLLECTOR)).json()
    assert [s["level"] for s in the_run["statements"]] == [1]
    assert "dunning.notice_sent" not in await service.outbox_types()


async def test_no_contact_fails_with_its_reason_and_the_next_run_sends(service: Service, sink: MailSink) -> None:
    await service.issue("INV-B1", "100.00", customer="BARE", due_date=date(2026, 1, 20))
    failed = await run(service, "2026-01-25")
    assert (failed["sent"], failed["failed"]) == (0, 1)
    assert failed["statements"][0]["reason"] == "no_dunning_contact"
    shown = (await service.client.get("/dunning/statements?status=failed", headers=COLLECTOR)).json()["items"]
    assert [(s["customer_id"], s["failure_reason"]) for s in shown] == [("BARE", "no_dunning_contact")]
    assert "PUT /accounts/BARE" in shown[0]["failure_detail"]
    event = (await events(service, "dunning.statement_failed"))[0]
    assert (event["reason"], event["level"], event["items"][0]["invoice_number"]) == ("no_dunning_contact", 1,
                                                                                      "INV-B1")
    assert sink.messages == []
    await account(service, "BARE", dunning_contacts=[{"email": "ap@bare.example"}])
    sent = await run(service, "2026-01-26")
    assert [(s["level"], s["status"]) for s in sent["statements"]] == [(1, "sent")]
    assert sink.messages[-1]["To"] == "ap@bare.example" and sink.messages[-1]["Subject"].startswith("Payment reminder")
    rows = await service.rows("SELECT level, status, attempts FROM dunning_statements")
    assert rows == [(1, "sent", 2)]


async def test_a_mail_server_failure_is_kept_with_its_reason_and_retried(service: Service, sink: MailSink) -> None:
    await account(service, "CUST-1", dunning_contacts=[{"email": "ap@cust1.example"}])
    await service.issue("INV-N5", "100.00", due_date=date(2026, 1, 31))
    port = service.settings.smtp_port
    service.settings.smtp_port = 1  # nothing listens there
    failed = await run(service, "2026-02-10")
    assert failed["failed"] == 1 and failed["statements"][0]["reason"] == "smtp_unreachable"
    assert "127.0.0.1:1" in failed["statements"][0]["detail"]
    service.settings.smtp_port = port
    assert (await run(service, "2026-02-10"))["sent"] == 1
    assert sink.messages[-1]["To"] == "ap@cust1.example"


async def test_disputed_and_promised_amounts_are_left_out(service: Service, sink: MailSink) -> None:
    for customer in ("CUST-1", "CUST-2"):
        await account(service, customer, dunning_contacts=[{"email": f"ap@{customer.lower()}.example"}])
    due = date(2026, 1, 31)
    await service.issue("INV-N1", "400.00", due_date=due)
    disputed = await service.issue("INV-N3", "300.00", due_date=due)
    await service.issue("INV-N4", "250.00", customer="CUST-2", due_date=due)
    await service.client.post("/disputes", json={"invoice_id": str(disputed), "reason": "pricing"},
                              headers=COLLECTOR)
    await service.client.post("/promises", headers=COLLECTOR, json={
        "legal_entity": "US01", "customer_id": "CUST-2", "currency": "USD", "amount": "250.00",
        "promised_date": "2026-03-31"})
    first = await run(service, "2026-02-10")
    assert (first["sent"], first["skipped_disputed_or_promised"]) == (1, 2)
    assert [m["To"] for m in sink.messages] == ["ap@cust-1.example"]
    text = sink.messages[0].get_payload(decode=True).decode()
    assert "INV-N1" in text and "INV-N3" not in text


async def test_templates_can_be_replaced_and_are_checked(service: Service) -> None:
    body = {"subject": "Rappel : {total_due}", "body": "Bonjour {customer_name},\n{items}\n"}
    saved = await service.client.put("/dunning/templates/reminder/fr", json=body, headers=SUPERVISOR)
    assert saved.status_code == 200 and saved.json()["version"] == 1
    bad = {"subject": "{nope}", "body": "x"}
    assert problem(await service.client.put("/dunning/templates/reminder/fr", json=bad, headers=SUPERVISOR), 422)
    assert problem(await service.client.put("/dunning/templates/reminder/fr", json=body, headers=COLLECTOR), 403)


async def test_dunning_bad_input_and_tokens(service: Service) -> None:
    for method, url in (("GET", "/dunning/policies"), ("PUT", "/dunning/policies/x"), ("POST", "/dunning/runs"),
                        ("GET", "/dunning/statements")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.post("/dunning/runs", headers=COLLECTOR), 403)
    bad = {"segment": "standard", "levels": [{"level": 0, "days_past_due": -1, "template": ""}]}
    assert problem(await service.client.put("/dunning/policies/std", json=bad, headers=SUPERVISOR), 422)
    assert problem(await service.client.post("/dunning/runs?as_of=later", headers=SUPERVISOR), 422)
    assert problem(await service.client.get("/dunning/statements?status=maybe", headers=COLLECTOR), 422)
    assert problem(await service.client.get(f"/dunning/runs/{'0' * 8}-0000-0000-0000-{'0' * 12}",
                                            headers=COLLECTOR), 404)
