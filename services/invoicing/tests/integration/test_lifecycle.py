"""The invoice state machine over HTTP: every transition with If-Match, maker-checker, numbering, credit notes."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.invoicing.tests.conftest import (
    AGENT_A,
    AGENT_B,
    APPROVER,
    APPROVER_2,
    INTEGRATION,
    PREPARER,
    SUPERVISOR,
    Service,
    problem,
    token,
)
from services.invoicing.tests.integration.test_submissions import put_profile

pytestmark = pytest.mark.integration


def _token(subject: str, *roles: str) -> str:
    return token(subject, *roles)["Authorization"]


async def test_draft_to_issued_with_maker_checker_and_if_match(service: Service) -> None:
    invoice = await service.create()
    assert invoice["status"] == "draft" and invoice["number"] is None and invoice["total_amount"] == "110.01"
    problem(await service.act(invoice["id"], "approve", APPROVER), 409)  # not yet requested
    assert (await service.act(invoice["id"], "request-approval", PREPARER)).json()["status"] == "pending_approval"
    body = problem(await service.act(invoice["id"], "approve", token_of_preparer := PREPARER), 403)
    assert body["type"].endswith("/missing-role") and token_of_preparer
    preparer_as_approver = {"Authorization": _token("pat", "billing_approver")}
    assert problem(await service.act(invoice["id"], "approve", preparer_as_approver), 403)["type"].endswith(
        "/maker-checker")
    stale = await service.client.get(f"/invoices/{invoice['id']}", headers=SUPERVISOR)
    approved = await service.act(invoice["id"], "approve", APPROVER)
    assert approved.json()["status"] == "approved" and approved.json()["approvals"][0]["approver"] == "amy"
    problem(await service.client.post(f"/invoices/{invoice['id']}/issue",
                                      headers={**PREPARER, "If-Match": stale.headers["ETag"]}), 412)
    problem(await service.client.post(f"/invoices/{invoice['id']}/issue", headers=PREPARER), 428)
    answer = await service.act(invoice["id"], "issue", PREPARER)
    issued = answer.json()
    assert issued["status"] == "issued" and issued["number"].startswith("US01-")
    # the issue's statement wrote the row and its version: the ETag answered is the one stored
    assert answer.headers["ETag"] == (await service.client.get(f"/invoices/{invoice['id']}",
                                                               headers=SUPERVISOR)).headers["ETag"]
    assert issued["due_date"] is not None
    problem(await service.act(invoice["id"], "cancel", SUPERVISOR, reason="late"), 409)  # no cancel after issue
    assert await service.outbox_types() == ["invoice.approved", "invoice.issued"]
    history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=PREPARER)).json()
    assert [h["to_status"] for h in history] == ["draft", "pending_approval", "approved", "issued"]
    actions = {r[0] for r in await service.rows("SELECT action FROM audit_log")}
    assert {"invoice.created", "invoice.approval_requested", "invoice.approval_given", "invoice.issued"} <= actions
    # the number is taken by the statement writing the event and the audit entry: both hold it, no stand-in left
    event = json.loads(await service.scalar(
        "SELECT convert_from(payload, 'UTF8') FROM outbox WHERE event_type = 'o2c.invoice.issued.v1'"))
    after = await service.scalar("SELECT after FROM audit_log WHERE action = 'invoice.issued'")
    assert event["invoice_number"] == issued["number"] and after["number"] == issued["number"]
    assert after["total"] == "110.01"  # as a person reads it, not the column's "110.010000"
    assert issued["number"] == await service.scalar("SELECT number FROM invoices WHERE id = :id",
                                                    id=uuid.UUID(invoice["id"]))


async def test_second_approval_above_the_limit_comes_from_another_approver(service: Service) -> None:
    big = await service.create(lines=[{"description": "Big", "quantity": "1", "unit_price": "20000"}])
    await service.act(big["id"], "request-approval", PREPARER)
    first = (await service.act(big["id"], "approve", APPROVER)).json()
    assert first["status"] == "pending_approval" and len(first["approvals"]) == 1
    problem(await service.act(big["id"], "approve", APPROVER), 403)
    second = (await service.act(big["id"], "approve", APPROVER_2)).json()
    assert second["status"] == "approved" and {a["approver"] for a in second["approvals"]} == {"amy", "abe"}


ALL_HATS = {"Authorization": _token("ivy", "billing_specialist", "billing_approver", "ar_supervisor")}
ACTIONS = (("request-approval", {}), ("approve", {}), ("issue", {}), ("return-to-draft", {"reason": "x"}),
           ("cancel", {"reason": "x"}))
LEGAL = {"draft": {"request-approval", "cancel"}, "pending_approval": {"approve", "return-to-draft", "cancel"},
         "approved": {"issue", "return-to-draft", "cancel"}, "issued": set()}


@pytest.mark.parametrize("status", list(LEGAL))
async def test_illegal_transitions_are_refused_and_change_nothing(service: Service, status: str) -> None:
    invoice = await service.create()
    path = ["request-approval", "approve", "issue"]
    for action in path[:list(LEGAL).index(status)]:
        assert (await service.act(invoice["id"], action, ALL_HATS if action != "approve" else APPROVER)).is_success
    before = await service.counts()
    for action, body in ACTIONS:
        if action in LEGAL[status]:
            continue
        body_json = problem(await service.act(invoice["id"], action, ALL_HATS, **body), 409)
        assert body_json["current_status"] == status and body_json["action"]
    assert await service.counts() == before


async def test_cancel_before_issue_and_return_to_draft(service: Service) -> None:
    invoice = await service.create()
    await service.act(invoice["id"], "request-approval", PREPARER)
    returned = (await service.act(invoice["id"], "return-to-draft", APPROVER, reason="wrong PO")).json()
    assert returned["status"] == "draft"
    cancelled = (await service.act(invoice["id"], "cancel", PREPARER, reason="duplicate order")).json()
    assert cancelled["status"] == "cancelled" and cancelled["number"] is None
    assert await service.outbox_types() == ["invoice.cancelled"]
    problem(await service.act(invoice["id"], "request-approval", PREPARER), 409)


async def test_hundred_concurrent_issues_get_unique_gapless_numbers(service: Service) -> None:
    ids = []
    for _ in range(100):
        invoice = await service.create(legal_entity="NL01")
        await service.act(invoice["id"], "request-approval", PREPARER)
        await service.act(invoice["id"], "approve", APPROVER)
        ids.append(invoice["id"])
    etags = [(await service.client.get(f"/invoices/{i}", headers=PREPARER)).headers["ETag"] for i in ids]
    responses = await asyncio.gather(*(service.client.post(f"/invoices/{i}/issue",
                                                           headers={**PREPARER, "If-Match": e})
                                       for i, e in zip(ids, etags, strict=True)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200][:2]
    numbers = sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, 101))


async def test_the_live_series_goes_past_six_digits_and_the_rules_see_the_number_taken(service: Service) -> None:
    """The number is taken and written by one statement (issue 16: the counter row is locked for less); its form is
    the live series' (six digits at least, then as many as it takes), and the portal rules judge that number."""
    year = datetime.now(UTC).year
    await service.execute("INSERT INTO invoice_number_sequences (legal_entity, year, last_number) "
                          "VALUES ('US01', :y, 999998)", y=year)
    assert (await service.issued())["number"] == f"US01-{year}-999999"
    await put_profile(service, rules={"invoice_number_pattern": r"US01-\d{4}-\d{6}"})
    invoice = await service.create()
    for action, headers in (("request-approval", PREPARER), ("approve", APPROVER)):
        assert (await service.act(invoice["id"], action, headers)).status_code == 200
    refused = problem(await service.act(invoice["id"], "issue", PREPARER), 422)  # 1000000: seven digits
    assert [v["rule"] for v in refused["violations"]] == ["invoice_number_format"]
    assert await service.rows("SELECT last_number FROM invoice_number_sequences WHERE legal_entity = 'US01' "
                              "AND year = :y", y=year) == [(999999,)]  # given back
    # a rule the invoice breaks before its number is taken: the refusal still lists the number's format with it
    await service.execute("UPDATE billing_profiles SET rules = rules || '{\"allowed_currencies\": [\"EUR\"]}'")
    refused = problem(await service.act(invoice["id"], "issue", PREPARER), 422)
    assert [v["rule"] for v in refused["violations"]] == ["invoice_number_format", "allowed_currencies"]
    assert await service.rows("SELECT last_number FROM invoice_number_sequences WHERE legal_entity = 'US01' "
                              "AND year = :y", y=year) == [(999999,)]  # given back
    issued = await service.act(invoice["id"], "issue", APPROVER, override_portal_rules=True,
                               override_reason="the customer's portal takes seven digits, and this currency")
    assert issued.status_code == 200 and issued.json()["number"] == f"US01-{year}-1000000"
    stored = await service.rows("SELECT number, status FROM invoices WHERE id = :i", i=uuid.UUID(invoice["id"]))
    assert stored == [(f"US01-{year}-1000000", "issued")]
    overridden = await service.rows("SELECT before FROM audit_log WHERE action = 'invoice.portal_rules_overridden' "
                                    "ORDER BY id")  # before the number, then its format once taken
    assert [[v["rule"] for v in r[0]["violations"]] for r in overridden] == [["allowed_currencies"],
                                                                             ["invoice_number_format"]]


async def test_credit_notes_partial_then_full_leave_settlement_to_the_ledger(service: Service) -> None:
    """Changed by issue 12: a full credit no longer moves the invoice to `credited` (the ledger's
    receivable.changed sets the settlement status); the cap is what earlier credit notes left."""
    invoice = await service.issued()
    url = f"/invoices/{invoice['id']}/credit-notes"
    etag = (await service.client.get(f"/invoices/{invoice['id']}", headers=APPROVER)).headers["ETag"]
    problem(await service.client.post(url, json={"amount": "500", "reason": "pricing"},
                                      headers={**APPROVER, "If-Match": etag}), 422)
    partial = await service.client.post(url, json={"amount": "10.005", "reason": "pricing"},
                                        headers={**APPROVER, "If-Match": etag})
    assert partial.status_code == 201, partial.text
    assert partial.json()["amount"] == "10.01" and partial.json()["full"] is False
    etag = (await service.client.get(f"/invoices/{invoice['id']}", headers=APPROVER)).headers["ETag"]
    full = (await service.client.post(url, json={"reason": "billing_error"},
                                      headers={**APPROVER, "If-Match": etag})).json()
    assert full["amount"] == "100.00" and full["full"] is True and full["number"].startswith("US01-CN-")
    after = (await service.client.get(f"/invoices/{invoice['id']}", headers=APPROVER)).json()
    assert after["status"] == "issued" and Decimal(after["credited_amount"]) == Decimal("110.01")
    assert after["settlement_status"] == "open" and after["ledger_open_amount"] is None
    assert (await service.outbox_types()).count("credit_note.issued") == 2


async def test_vendor_agents_only_touch_their_teams_customers(service: Service) -> None:
    profile = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
               "owning_team": "vendor-a"}
    # issue 12: a vendor agent no longer creates (claims) a customer's profile; a supervisor assigns the team
    problem(await service.client.put("/billing-profiles/CUST-A", json=profile, headers=AGENT_A), 403)
    assert (await service.client.put("/billing-profiles/CUST-A", json=profile, headers=SUPERVISOR)).status_code == 201
    problem(await service.client.put("/billing-profiles/CUST-B", json={**profile, "owning_team": "vendor-b"},
                                     headers=AGENT_A), 403)
    mine = await service.create(AGENT_A, customer_id="CUST-A", owning_team="vendor-b")
    assert mine["owning_team"] == "vendor-a"  # the profile's team wins
    problem(await service.client.get(f"/invoices/{mine['id']}", headers=AGENT_B), 403)
    problem(await service.client.get("/billing-profiles/CUST-A", headers=AGENT_B), 403)
    problem(await service.client.post("/invoices", json={"legal_entity": "US01", "customer_id": "CUST-A",
                                                         "currency": "USD", "lines": [
                                                             {"description": "x", "quantity": "1",
                                                              "unit_price": "1"}]}, headers=AGENT_B), 403)
    assert (await service.client.get("/invoices", headers=AGENT_B)).json()["items"] == []


async def test_historical_import_is_integration_only_and_records_the_importer(service: Service) -> None:
    body = {"legal_entity": "US01", "customer_id": "0379-NEVHP", "currency": "USD", "number": "0000611365",
            "issue_date": "2013-01-02", "due_date": "2013-02-01", "paid_date": "2013-01-15",
            "lines": [{"description": "Historical invoice", "quantity": "1", "unit_price": "55.94"}]}
    problem(await service.client.post("/invoices/historical", json=body, headers=PREPARER), 403)
    created = await service.client.post("/invoices/historical", json=body, headers=INTEGRATION)
    assert created.status_code == 201, created.text
    # issue 12: a paid_date is the loader's word, not cash: the invoice stays open until the ledger settles it
    assert created.json()["status"] == "issued" and created.json()["created_by"] == "pipeline"
    assert created.json()["source"] == "import" and created.json()["settlement_status"] == "open"
    problem(await service.client.post("/invoices/historical", json=body, headers=INTEGRATION), 409)
    assert await service.outbox_types() == ["invoice.issued"]
    assert await service.scalar("SELECT actor FROM audit_log WHERE action = 'invoice.imported'") == "pipeline"


async def test_historical_import_with_a_client_id_is_idempotent(service: Service) -> None:
    invoice_id = "6f1c2d1e-3b7a-5c1e-9d2f-0a1b2c3d4e5f"
    body = {"id": invoice_id, "legal_entity": "US01", "customer_id": "0379-NEVHP", "currency": "USD",
            "number": "0000611366", "issue_date": "2013-01-02", "due_date": "2013-02-01",
            "lines": [{"description": "Historical invoice", "quantity": "1", "unit_price": "55.94"}]}
    created = await service.client.post("/invoices/historical", json=body, headers=INTEGRATION)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == invoice_id and created.json()["status"] == "issued"
    before = await service.counts()
    again = await service.client.post("/invoices/historical", json=body, headers=INTEGRATION)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == invoice_id and again.json()["total_amount"] == "55.94"
    assert await service.counts() == before
    other_id = {**body, "id": "0e1c2d1e-3b7a-5c1e-9d2f-0a1b2c3d4e5f"}  # same number, another invoice
    problem(await service.client.post("/invoices/historical", json=other_id, headers=INTEGRATION), 409)
    other_number = {**body, "number": "0000611367"}  # same id, another number
    problem(await service.client.post("/invoices/historical", json=other_number, headers=INTEGRATION), 409)
    assert await service.counts() == before
    assert await service.outbox_types() == ["invoice.issued"]
