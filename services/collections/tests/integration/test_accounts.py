"""The account master: PUT/GET with ETag and If-Match, fields reserved to supervisors, a CSV import checked whole
first, account.updated with the account's version, a new owning team moving open items and unapplied cash, the
collector worklist and the payments of a vendor team once the master assigns them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from services.collections.tests.conftest import (
    AGENT_A,
    AGENT_B,
    COLLECTOR,
    INTEGRATION,
    SUPERVISOR,
    Service,
    problem,
)

ACME = {"name": "Acme GmbH", "collector": "carl", "owning_team": "vendor-a", "segment": "standard",
        "language": "de", "region": "EMEA", "credit_limit": "50000.00", "credit_currency": "EUR",
        "dunning_contacts": [{"name": "Anna Meier", "email": "anna@acme.example", "role": "dunning"},
                             {"email": "cfo@acme.example", "role": "dunning_copy"}]}


async def updates(service: Service) -> list[dict[str, Any]]:
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = 'o2c.account.updated.v1' ORDER BY id")
    return [json.loads(r[0]) for r in rows]


async def put(service: Service, customer: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    current = await service.client.get(f"/accounts/{customer}", headers=SUPERVISOR)
    etag = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {}
    return await service.client.put(f"/accounts/{customer}", json=body, headers={**headers, **etag})


async def test_put_get_and_the_event(service: Service) -> None:
    assert problem(await service.client.get("/accounts/ACME", headers=SUPERVISOR), 404)
    created = await service.client.put("/accounts/ACME", json=ACME, headers=SUPERVISOR)
    assert created.status_code == 200, created.text
    body = created.json()
    assert (body["collector"], body["owning_team"], body["language"], body["credit_limit"], body["version"]) == (
        "carl", "vendor-a", "de", "50000.00", 1)
    assert body["dunning_contacts"][0] == {"name": "Anna Meier", "email": "anna@acme.example", "language": None,
                                           "role": "dunning"}
    got = await service.client.get("/accounts/ACME", headers=COLLECTOR)
    assert got.json() == body and got.headers["ETag"] == created.headers["ETag"]
    assert problem(await service.client.put("/accounts/ACME", json={"segment": "key"}, headers=SUPERVISOR), 428)
    stale = {**SUPERVISOR, "If-Match": '"ACME:0"'}
    assert problem(await service.client.put("/accounts/ACME", json={"segment": "key"}, headers=stale), 412)
    changed = await put(service, "ACME", {"segment": "key_account", "collector": "cora"}, INTEGRATION)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["segment"], changed.json()["language"], changed.json()["version"]) == (
        "key_account", "de", 2)
    unchanged = await put(service, "ACME", {"segment": "key_account"}, SUPERVISOR)
    assert unchanged.json()["version"] == 2
    events = await updates(service)
    assert [(e["account_version"], e["collector"], e["owning_team"], e["updated_by"]) for e in events] == [
        (1, "carl", "vendor-a", "sue"), (2, "cora", "vendor-a", "pipeline")]
    assert "dunning_contacts" not in events[0] and events[0]["language"] == "de"
    listed = (await service.client.get("/accounts?collector=cora", headers=COLLECTOR)).json()["items"]
    assert [a["customer_id"] for a in listed] == ["ACME"]
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE entity_type = 'account'") == 2
    bad = await service.client.put("/accounts/X", json={"language": "German", "dunning_contacts": [{"email": "no"}]},
                                   headers=SUPERVISOR)
    assert {e["pointer"] for e in problem(bad, 422)["errors"]} >= {"#/language", "#/dunning_contacts/0/email"}


async def test_vendor_agents_edit_contacts_of_their_team_only_and_never_the_team(service: Service) -> None:
    assert (await service.client.put("/accounts/ACME", json=ACME, headers=SUPERVISOR)).status_code == 200
    contacts = {"dunning_contacts": [{"email": "ap@acme.example"}], "language": "en"}
    assert (await put(service, "ACME", contacts, AGENT_A)).status_code == 200
    refused = await put(service, "ACME", {"owning_team": "vendor-b"}, AGENT_A)
    assert problem(refused, 403)["type"].endswith("account-field-denied")
    assert problem(await put(service, "ACME", contacts, AGENT_B), 403)
    assert problem(await service.client.get("/accounts/ACME", headers=AGENT_B), 403)
    # an unowned customer cannot be claimed by a vendor agent
    assert problem(await service.client.put("/accounts/NEW", json={"owning_team": "vendor-a"}, headers=AGENT_A), 403)
    assert (await service.client.get("/accounts", headers=AGENT_B)).json()["items"] == []
    assert [a["customer_id"] for a in (await service.client.get("/accounts", headers=AGENT_A)).json()["items"]] == [
        "ACME"]


async def test_a_new_team_moves_open_items_and_unapplied_cash(service: Service) -> None:
    inv = await service.issue("INV-T1", "100.00", customer="MOVE", team=None)
    paid = await service.pay("30.00", customer="MOVE")  # no reference: unapplied cash of the customer
    assert paid["status"] == "unapplied" and paid["owning_team"] is None
    assert (await service.client.get("/payments", headers=AGENT_A)).json()["items"] == []
    other = await service.issue("INV-T0", "40.00", customer="MOVE", team=None)
    dispute = await service.client.post("/disputes", json={"invoice_id": str(other), "reason": "pricing"},
                                        headers=COLLECTOR)
    assert (await service.client.put("/accounts/MOVE", json={"owning_team": "vendor-a"},
                                     headers=SUPERVISOR)).status_code == 200
    assert await service.scalar("SELECT owning_team FROM open_items WHERE invoice_id = :i", i=inv) == "vendor-a"
    seen = (await service.client.get("/payments", headers=AGENT_A)).json()["items"]
    assert [p["id"] for p in seen] == [paid["id"]]
    assert (await service.client.get(f"/receivables/{inv}", headers=AGENT_A)).status_code == 200
    assert (await service.client.get(f"/disputes/{dispute.json()['id']}", headers=AGENT_A)).status_code == 200
    assert (await updates(service))[-1]["previous_owning_team"] is None
    # a later invoice of the customer takes the master's team whatever the invoice says
    later = await service.issue("INV-T2", "10.00", customer="MOVE", team="vendor-b")
    assert await service.scalar("SELECT owning_team FROM open_items WHERE invoice_id = :i", i=later) == "vendor-a"


async def test_csv_import_checks_the_whole_file_first(service: Service) -> None:
    bad = ("customer_id,name,parent_customer_id,collector,owning_team,language,credit_limit,credit_currency,"
           "dunning_contacts\n"
           "P1,Parent,,carl,vendor-a,de,1000,EUR,Finance <fin@p1.example>; cc:boss@p1.example\n"
           "C1,Child,NOPE,carl,vendor-a,en,,,\n"
           "C2,Child 2,P1,carl,vendor-a,klingon,-5,EUR,not-an-email\n"
           "P1,Again,,,,,,,\n")
    refused = await service.client.post("/accounts/import", content=bad, headers={**SUPERVISOR,
                                                                                  "Content-Type": "text/csv"})
    errors = {(e["line"], e["field"]) for e in problem(refused, 422)["errors"]}
    assert errors >= {(4, "language"), (4, "credit_limit"), (4, "dunning_contacts.0.email"), (5, "customer_id")}
    assert await service.scalar("SELECT count(*) FROM accounts") == 0
    dangling = bad.split("C2,")[0]  # the first three lines: C1 names a parent nobody has
    refused = await service.client.post("/accounts/import", content=dangling, headers=SUPERVISOR)
    assert [(e["line"], e["field"]) for e in problem(refused, 422)["errors"]] == [(3, "parent_customer_id")]
    good = dangling.replace("NOPE", "P1") + "C3,Child 3,P1,cora,vendor-a,en,,,ap@c3.example\n"
    done = await service.client.post("/accounts/import", content=good, headers=SUPERVISOR)
    assert done.status_code == 200, done.text
    assert done.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    again = await service.client.post("/accounts/import", content=good, headers=SUPERVISOR)
    assert again.json() == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    p1 = (await service.client.get("/accounts/P1", headers=SUPERVISOR)).json()
    assert p1["dunning_contacts"] == [
        {"name": "Finance", "email": "fin@p1.example", "language": None, "role": "dunning"},
        {"name": None, "email": "boss@p1.example", "language": None, "role": "dunning_copy"}]
    children = (await service.client.get("/accounts?parent=P1", headers=SUPERVISOR)).json()["items"]
    assert [c["customer_id"] for c in children] == ["C1", "C3"]
    cycle = "customer_id,parent_customer_id\nP1,C1\n"
    assert [e["field"] for e in problem(await service.client.post("/accounts/import", content=cycle,
                                                                  headers=SUPERVISOR), 422)["errors"]] == [
        "parent_customer_id"]
    assert problem(await service.client.post("/accounts/import", content=good, headers=COLLECTOR), 403)
    assert len(await updates(service)) == 3


async def test_the_collector_worklist_fills_once_accounts_have_collectors(service: Service) -> None:
    await service.issue("W-1", "1000.00", customer="BIG", due_date=date(2026, 3, 1))
    mine = await service.client.get("/worklists?as_of=2026-04-01&collector=carl", headers=COLLECTOR)
    assert mine.json()["items"] == []
    await service.client.post("/accounts/import", content="customer_id,collector\nBIG,carl\n", headers=SUPERVISOR)
    mine = await service.client.get("/worklists?as_of=2026-04-01&collector=carl", headers=COLLECTOR)
    assert [row["customer_id"] for row in mine.json()["items"]] == ["BIG"]


async def test_applied_payment_gets_owning_team(service: Service) -> None:
    inv = await service.issue("INV-V1", "120.00", customer="VEND", team="vendor-a")
    paid = await service.pay("150.00", customer="VEND", remittance=[{"reference": "INV-V1"}])  # no account
    assert paid["owning_team"] == "vendor-a" and paid["unapplied_amount"] == "30.00"
    assert [p["id"] for p in (await service.client.get("/payments", headers=AGENT_A)).json()["items"]] == [paid["id"]]
    assert (await service.client.get("/payments", headers=AGENT_B)).json()["items"] == []
    applied = json.loads(await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.payment.applied.v1'"))
    assert applied["owning_team"] == "vendor-a"
    assert await service.open_amount(inv) == 0
