"""Issue 12, A6: credit and rebill as one approved action — one approval gives a credit note of the original
and a new numbered invoice linked by replaces_invoice_id; refused while cash is applied."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from services.invoicing.tests.conftest import (
    AGENT_A,
    APPROVER,
    APPROVER_2,
    INVOICE,
    PREPARER,
    SUPERVISOR,
    VIEWER,
    Service,
    problem,
)
from services.invoicing.tests.integration.test_workqueues import queue
from services.invoicing.tests.ledger import Ledger, handle

pytestmark = pytest.mark.integration

CORRECTED = {**INVOICE, "lines": [{"description": "Widgets", "quantity": "2", "unit_price": "33.335",
                                   "tax_rate": "0.10", "po_line": "1"}]}


async def decide(service: Service, invoice_id: str, rebill_id: str, headers: dict[str, str],
                 **body: Any) -> Any:
    etag = (await service.client.get(f"/invoices/{invoice_id}", headers=VIEWER)).headers["ETag"]
    return await service.client.post(f"/invoices/{invoice_id}/rebill/{rebill_id}/decision", json=body,
                                     headers={**headers, "If-Match": etag})


async def test_rebill_credits_and_reissues_in_one_approval(service: Service) -> None:
    original = await service.issued()
    ledger = Ledger(original)
    await handle(service, ledger.opened())
    asked = await service.client.post(f"/invoices/{original['id']}/rebill", headers=PREPARER,
                                      json={"corrected": CORRECTED, "reason": "billed 3 instead of 2"})
    assert asked.status_code == 201, asked.text
    rebill = asked.json()
    waiting = (await queue(service, "rebill_awaiting_approval"))[original["id"]]
    assert waiting["reason"] == "credit and rebill requested by pat awaits approval"
    assert (await decide(service, original["id"], rebill["id"], PREPARER, approve=True)).status_code == 403

    decided = await decide(service, original["id"], rebill["id"], APPROVER, approve=True)
    assert decided.status_code == 200, decided.text
    done = decided.json()
    assert done["status"] == "applied" and done["credit_note_id"] and done["new_invoice_id"]
    new = (await service.client.get(f"/invoices/{done['new_invoice_id']}", headers=VIEWER)).json()
    assert (new["status"], new["replaces_invoice_id"], new["total_amount"]) == ("issued", original["id"], "73.34")
    assert new["created_by"] == "pat" and [a["approver"] for a in new["approvals"]] == ["amy"]
    assert new["number"] != original["number"] and new["number"].startswith("US01-")
    note = (await service.client.get(f"/invoices/{original['id']}/credit-notes", headers=VIEWER)).json()
    assert [(n["amount"], n["reason"], n["full"]) for n in note] == [("110.01", "billing_error", True)]
    issued = [json.loads(p[0]) for p in await service.rows(
        "SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.issued.v1' ORDER BY id")]
    assert issued[-1]["replaces_invoice_id"] == original["id"]
    rebilled = json.loads(await service.scalar(
        "SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.rebilled.v1'"))
    assert (rebilled["new_invoice_id"], rebilled["approved_by"], rebilled["requested_by"]) == (
        done["new_invoice_id"], "amy", "pat")
    assert original["id"] not in await queue(service, "rebill_awaiting_approval")
    # the ledger posts the credit note: the original is credited, nothing owed
    await handle(service, ledger.post("credit_note", "-110.01", credit_note_id=uuid.UUID(done["credit_note_id"])))
    after = (await service.client.get(f"/invoices/{original['id']}", headers=VIEWER)).json()
    assert after["settlement_status"] == "credited" and Decimal(after["ledger_open_amount"]) == ledger.open == 0


async def test_rebill_is_refused_while_cash_is_applied(service: Service) -> None:
    original = await service.issued()
    ledger = Ledger(original)
    await handle(service, ledger.opened(), ledger.post("payment", "-10.00", payment_id=uuid.uuid4()))
    body = problem(await service.client.post(f"/invoices/{original['id']}/rebill", headers=PREPARER,
                                             json={"corrected": CORRECTED, "reason": "x"}), 409)
    assert body["type"].endswith("/cash-applied") and "unapply it in collections first" in body["detail"]
    assert "10.00 USD" in body["detail"]
    row = (await service.client.get(f"/invoices/{original['id']}", headers=VIEWER)).json()
    assert Decimal(row["ledger_open_amount"]) == ledger.open


async def test_a_large_rebill_carries_the_originals_second_approver(service: Service) -> None:
    big = {"description": "Big", "quantity": "1", "unit_price": "20000"}
    original = await service.create(lines=[big])
    await service.act(original["id"], "request-approval", PREPARER)
    await service.act(original["id"], "approve", APPROVER)
    await service.act(original["id"], "approve", APPROVER_2)
    issued = (await service.act(original["id"], "issue", PREPARER)).json()
    rebill = (await service.client.post(f"/invoices/{issued['id']}/rebill", headers=PREPARER, json={
        "corrected": {**CORRECTED, "lines": [{**big, "unit_price": "19000"}]}, "reason": "price"})).json()
    decided = await decide(service, issued["id"], rebill["id"], APPROVER, approve=True)
    assert decided.status_code == 200, decided.text
    new = (await service.client.get(f"/invoices/{decided.json()['new_invoice_id']}", headers=VIEWER)).json()
    assert sorted(a["approver"] for a in new["approvals"]) == ["abe", "amy"] and new["total_amount"] == "19000.00"


async def test_a_vendor_agent_rebills_only_to_a_customer_of_its_team(service: Service) -> None:
    """The approver, who sees every team, prepares the replacement: the requester's team is checked when asked."""
    profile = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa"}
    for customer, team in (("CUST-A", "vendor-a"), ("CUST-B", "vendor-b")):
        put = await service.client.put(f"/billing-profiles/{customer}", json={**profile, "owning_team": team},
                                       headers=SUPERVISOR)
        assert put.status_code == 201, put.text
    original = await service.issued(customer_id="CUST-A")
    assert original["owning_team"] == "vendor-a"
    url = f"/invoices/{original['id']}/rebill"
    for customer in ("CUST-B", "CUST-NEW"):  # another team's, and one with no profile (no team yet)
        refused = await service.client.post(url, headers=AGENT_A, json={
            "corrected": {**CORRECTED, "customer_id": customer, "owning_team": "vendor-a"}, "reason": "wrong customer"})
        assert problem(refused, 403)["type"].endswith("/team-access-denied"), customer
    assert await service.scalar("SELECT count(*) FROM invoice_rebills") == 0
    asked = await service.client.post(url, headers=AGENT_A, json={"corrected": {**CORRECTED, "customer_id": "CUST-A"},
                                                                  "reason": "billed 3 instead of 2"})
    assert asked.status_code == 201, asked.text
