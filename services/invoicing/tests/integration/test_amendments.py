"""Issue 12, A5: an issued invoice missing its PO number can be mended: header fields that carry no money are
amended with another person's approval and audit, the document regenerated as a new version, and the invoice
then submitted; anything else is refused with the hint to credit and rebill."""

from __future__ import annotations

import base64
import json

import pytest

from services.invoicing.tests.conftest import APPROVER, PREPARER, VIEWER, Service, problem, token
from services.invoicing.tests.integration.test_submissions import put_profile, simulator
from services.invoicing.tests.integration.test_work_queues import _move
from services.invoicing.tests.integration.test_workqueues import queue
from services.invoicing.tests.portal import serving

pytestmark = pytest.mark.integration
BOTH_HATS = token("ivy", "billing_specialist", "billing_approver")


async def decide(service: Service, invoice_id: str, amendment_id: str, headers: dict[str, str],
                 **body: object) -> dict[str, object]:
    etag = (await service.client.get(f"/invoices/{invoice_id}", headers=VIEWER)).headers["ETag"]
    response = await service.client.post(f"/invoices/{invoice_id}/amendments/{amendment_id}/decision",
                                         json=body, headers={**headers, "If-Match": etag})
    return {**response.json(), "http": response.status_code}


async def test_amendments_mend_an_issued_invoice_then_it_is_submitted(service: Service) -> None:
    async with serving(simulator(review_delay_s=3600)) as portal:
        await put_profile(service, portal_url=portal, rules={"po_required": True})
        invoice = await service.issued(po_number=None, override=True)
        url = f"/invoices/{invoice['id']}/amendments"
        problem(await service.act(invoice["id"], "submit", PREPARER), 422)  # refused: no PO

        lines = problem(await service.client.post(url, headers=PREPARER, json={
            "changes": {"lines": [], "po_number": "PO-1"}, "reason": "x"}), 422)
        assert lines["type"].endswith("/not-amendable") and "credit and rebill" in lines["detail"]
        asked = await service.client.post(url, headers=PREPARER, json={
            "changes": {"po_number": "PO-4711"}, "reason": "portal refused: PO missing"})
        assert asked.status_code == 201, asked.text
        amendment = asked.json()
        assert amendment["changes"] == [{"field": "po_number", "before": None, "after": "PO-4711"}]
        waiting = (await queue(service, "amendment_awaiting_approval"))[invoice["id"]]
        assert waiting["reason"] == "amendment of po_number by pat awaits approval"
        problem(await service.client.post(url, headers=PREPARER, json={
            "changes": {"buyer_reference": "B-1"}, "reason": "y"}), 409)  # one pending at a time

        assert (await decide(service, invoice["id"], amendment["id"], PREPARER, approve=True))["http"] == 403
        applied = await decide(service, invoice["id"], amendment["id"], APPROVER, approve=True)
        assert (applied["http"], applied["status"], applied["document_version"]) == (200, "applied", 1)
        assert applied["decided_by"] == "amy"
        amended = (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()
        assert amended["po_number"] == "PO-4711" and amended["status"] == "issued"
        document = await service.scalar("SELECT body FROM invoice_documents WHERE invoice_id = :i AND version = 1",
                                         i=invoice["id"])
        assert b'orderID="PO-4711"' in bytes(document)
        event = json.loads(await service.scalar(
            "SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.amended.v1'"))
        assert event["changes"][0]["after"] == "PO-4711" and event["approved_by"] == "amy"
        assert event["requested_by"] == "pat" and event["document_version"] == 1

        # the requester never approves their own amendment, even holding both roles
        second = (await service.client.post(url, headers=BOTH_HATS, json={
            "changes": {"buyer_reference": "DEPT-7", "attachments": [
                {"name": "timesheet.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 t").decode()}]},
            "reason": "buyer asked"})).json()
        assert (await decide(service, invoice["id"], second["id"], BOTH_HATS, approve=True))["http"] == 403
        assert (await decide(service, invoice["id"], second["id"], APPROVER, approve=True))["document_version"] == 2
        assert await service.scalar("SELECT count(*) FROM invoice_attachments WHERE invoice_id = :i",
                                    i=invoice["id"]) == 1

        submitted = await service.act(invoice["id"], "submit", PREPARER)
        assert submitted.status_code == 200, submitted.text
        assert invoice["id"] not in await queue(service, "submission_refused")
        audit = {r[0] for r in await service.rows("SELECT action FROM audit_log")}
        assert {"invoice.amendment_requested", "invoice.amended"} <= audit


async def test_no_amendment_once_the_portal_accepted_it(service: Service) -> None:
    invoice = await service.issued()
    await _move(service, invoice["id"], "submitted")
    await _move(service, invoice["id"], "portal_approved")
    body = problem(await service.client.post(f"/invoices/{invoice['id']}/amendments", headers=PREPARER, json={
        "changes": {"po_number": "PO-2"}, "reason": "late"}), 409)
    assert body["current_status"] == "portal_approved"
    nothing = problem(await service.client.post(f"/invoices/{(await service.issued())['id']}/amendments",
                                                headers=PREPARER, json={"changes": {"po_number": "PO-100"},
                                                                        "reason": "same"}), 422)
    assert nothing["type"].endswith("/nothing-to-amend")
