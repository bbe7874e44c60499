"""Bad input on every endpoint: problem+json, and nothing written. And a token everywhere."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from o2c_invoicing.config import DEV_CALLBACK_SECRET
from o2c_invoicing.submissions.signing import signed_headers
from services.invoicing.tests.conftest import APPROVER, INTEGRATION, INVOICE, PREPARER, SUPERVISOR, Service, problem

pytestmark = pytest.mark.integration

BAD_INVOICES = [
    {**INVOICE, "currency": "usd"}, {**INVOICE, "lines": []}, {**INVOICE, "legal_entity": "us 01"},
    {**INVOICE, "lines": [{"description": "x", "quantity": "-1", "unit_price": "1"}]},
    {**INVOICE, "lines": [{"description": "x", "quantity": "1", "unit_price": 1.5}]},
    {**INVOICE, "payment_terms": "whenever"}, {**INVOICE, "unknown": 1},
    {**INVOICE, "service_period_start": "2026-02-01", "service_period_end": "2026-01-01"},
]


async def test_bad_input_on_every_endpoint_is_problem_json_and_writes_nothing(service: Service) -> None:
    invoice = await service.issued()
    draft = await service.create()
    before = await service.counts()
    for body in BAD_INVOICES:
        problem(await service.client.post("/invoices", json=body, headers=PREPARER), 422)
    problem(await service.client.post("/invoices/historical", json={**INVOICE, "number": ""}, headers=INTEGRATION),
            422)
    problem(await service.client.get("/invoices/not-a-uuid", headers=PREPARER), 422)
    problem(await service.client.get(f"/invoices/{uuid.uuid4()}", headers=PREPARER), 404)
    problem(await service.client.get("/invoices", params={"limit": 0}, headers=PREPARER), 422)
    problem(await service.client.get("/invoices", params={"cursor": "garbage"}, headers=PREPARER), 422)
    problem(await service.act(draft["id"], "cancel", PREPARER), 422)  # reason missing
    problem(await service.act(draft["id"], "cancel", PREPARER, reason=""), 422)
    problem(await service.act(draft["id"], "return-to-draft", APPROVER, reason="x", extra=1), 422)
    problem(await service.act(invoice["id"], "credit-notes", APPROVER, reason="nope"), 422)
    problem(await service.act(invoice["id"], "credit-notes", APPROVER, reason="pricing", amount="-3"), 422)
    problem(await service.client.put("/billing-profiles/CUST-X", json={"name": "x"}, headers=PREPARER), 422)
    problem(await service.client.put("/billing-profiles/CUST-X", json={
        "name": "x", "legal_entity": "US01", "currency": "USD", "channel": "fax"}, headers=PREPARER), 422)
    problem(await service.client.put("/billing-profiles/CUST-X", json={
        "name": "x", "legal_entity": "US01", "currency": "USD", "channel": "email", "email": "not-an-address"},
        headers=PREPARER), 422)
    problem(await service.client.post("/invoices/historical", json={
        **INVOICE, "id": "not-a-uuid", "number": "H-1", "issue_date": "2013-01-02", "due_date": "2013-02-01"},
        headers=INTEGRATION), 422)
    problem(await service.client.post("/invoices/historical", json={**INVOICE, "number": "H-1"},
                                      headers=INTEGRATION), 422)  # dates missing
    problem(await service.act(draft["id"], "request-approval", PREPARER, note="x" * 2001), 422)
    problem(await service.act(draft["id"], "approve", APPROVER, extra=1), 422)
    problem(await service.act(invoice["id"], "resubmit", PREPARER, correction_note=""), 422)
    problem(await service.act(invoice["id"], "resubmit", PREPARER, correction_note="x", po_number=""), 422)
    problem(await service.client.get("/invoices/not-a-uuid/submissions", headers=PREPARER), 422)
    problem(await service.client.get("/invoices/not-a-uuid/history", headers=PREPARER), 422)
    body = json.dumps({"status": "AP"}).encode()  # signed, but no reference
    problem(await service.client.post("/portal/callbacks", content=body, headers=signed_headers(
        DEV_CALLBACK_SECRET, timestamp=int(time.time()), body=body)), 422)
    problem(await service.client.get("/work-queues/nonsense", headers=SUPERVISOR), 422)
    problem(await service.client.get("/work-queues", params={"owner": ""}, headers=SUPERVISOR), 422)
    problem(await service.client.get("/reports/invoicing-cadence", params={"week": "W47"}, headers=SUPERVISOR), 422)
    assert await service.counts() == before


async def test_every_endpoint_requires_a_token(service: Service) -> None:
    some = uuid.uuid4()
    for method, path in (("POST", "/invoices"), ("GET", "/invoices"), ("GET", f"/invoices/{some}"),
                         ("POST", "/invoices/historical"), ("GET", f"/invoices/{some}/history"),
                         ("POST", f"/invoices/{some}/approve"), ("POST", f"/invoices/{some}/issue"),
                         ("POST", f"/invoices/{some}/credit-notes"), ("GET", "/billing-profiles"),
                         ("PUT", "/billing-profiles/X"), ("GET", "/billing-profiles/X"),
                         ("POST", f"/invoices/{some}/request-approval"), ("POST", f"/invoices/{some}/cancel"),
                         ("POST", f"/invoices/{some}/return-to-draft"), ("POST", f"/invoices/{some}/submit"),
                         ("POST", f"/invoices/{some}/resubmit"), ("GET", f"/invoices/{some}/submissions"),
                         ("GET", "/work-queues"), ("GET", "/work-queues/stalled"),
                         ("GET", "/reports/invoicing-cadence")):
        problem(await service.client.request(method, path), 401)
    assert (await service.client.get("/health/live")).status_code == 200
    assert SUPERVISOR
