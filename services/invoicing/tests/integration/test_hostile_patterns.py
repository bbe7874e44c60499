"""Issue 13 item 9 (ReDoS): the customer's portal-rule patterns are checked with RE2 when written and run in
linear time; an invalid pattern stored before the check is a rule violation, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.invoicing.tests.conftest import APPROVER, PREPARER, SUPERVISOR, VIEWER, Service, problem

pytestmark = pytest.mark.integration

PROFILE = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
           "portal_account": "acme-7781", "tax_id": "US123", "portal_url": "http://127.0.0.1:9"}


async def put(service: Service, rules: dict[str, Any], customer: str = "CUST-1") -> Any:
    return await service.client.put(f"/billing-profiles/{customer}", json={**PROFILE, "rules": rules},
                                    headers=SUPERVISOR)


@pytest.mark.parametrize(("field", "pattern", "reason"), [
    ("po_pattern", r"(PO)-\d+-\1", "invalid escape sequence"),  # a back-reference: needs backtracking
    ("po_pattern", r"(?=PO)PO-\d+", "invalid perl operator"),  # a look-ahead
    ("invoice_number_pattern", "US01-[", "missing ]"),  # not a pattern at all
])
async def test_a_pattern_re2_cannot_run_is_refused_when_written(service: Service, field: str, pattern: str,
                                                                reason: str) -> None:
    body = problem(await put(service, {field: pattern}), 422)
    [error] = [e for e in body["errors"] if e["pointer"] == f"#/rules/{field}"]
    assert reason in error["detail"] and "RE2" in error["detail"]
    assert (await service.counts())[3] == 0  # no profile stored


async def test_a_catastrophic_pattern_runs_in_linear_time(service: Service) -> None:
    """``(a+)+$`` against 60 a's and a "!" is 2^60 steps for a backtracking engine; RE2 answers at once."""
    assert (await put(service, {"po_pattern": "(a+)+$"})).status_code == 201
    invoice = await service.create(po_number="a" * 60 + "!")
    assert (await service.act(invoice["id"], "request-approval", PREPARER)).status_code == 200
    body = problem(await service.act(invoice["id"], "approve", APPROVER), 422)  # the rules are checked here
    [violation] = [v for v in body["violations"] if v["rule"] == "po_pattern"]
    assert violation["detail"] == f"PO number {'a' * 60}! does not match (a+)+$"


async def test_an_invalid_stored_pattern_is_a_violation_not_a_500(service: Service) -> None:
    assert (await put(service, {"po_pattern": r"PO-\d+"})).status_code == 201
    invoice = await service.issued(po_number="PO-1")
    await service.execute("UPDATE billing_profiles SET rules = CAST(:rules AS jsonb)",
                          rules=json.dumps({"po_pattern": r"(PO)-\1", "invoice_number_pattern": "US01-["}))
    profile = await service.client.get("/billing-profiles/CUST-1", headers=SUPERVISOR)
    assert profile.status_code == 200 and profile.json()["rules"]["po_pattern"] == r"(PO)-\1"
    body = problem(await service.act(invoice["id"], "submit", PREPARER), 422)
    found = {v["rule"]: v["detail"] for v in body["violations"]}
    assert "invalid escape sequence" in found["po_pattern"] and "correct the profile" in found["po_pattern"]
    assert "missing ]" in found["invoice_number_format"]
    status = (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()["status"]
    assert status == "issued"
