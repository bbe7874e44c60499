"""Portal status from standard messages, end to end: the simulator answers a Peppol (UBL) submission with
Peppol Invoice Responses and a Coupa (cXML) one with cXML StatusUpdateRequests, signed, to the service's
/portal/messages; the invoice moves, rejections are classified, resubmission works as with callbacks."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from o2c_invoicing.channels.status_messages import invoice_response
from o2c_invoicing.config import DEV_CALLBACK_SECRET
from o2c_invoicing.simulator.app import SimulatorSettings, create_app
from o2c_invoicing.submissions.signing import signed_headers
from services.invoicing.tests.conftest import PREPARER, SUPERVISOR, VIEWER, Service, problem
from services.invoicing.tests.portal import eventually, serving

pytestmark = pytest.mark.integration


def simulator(messages_url: str, **overrides: Any) -> Any:
    return create_app(SimulatorSettings(**{"callback_url": None, "messages_url": messages_url, "review_delay_s": 0,
                                           "schedule_delay_s": 0, "pay_delay_s": 0, **overrides}))


async def put_profile(service: Service, **overrides: Any) -> None:
    body = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
            "portal_account": "acme-7781", "tax_id": "US123", **overrides}
    response = await service.client.put("/billing-profiles/CUST-1", json=body, headers=SUPERVISOR)
    assert response.status_code == 201, response.text


async def status(service: Service, invoice_id: str) -> str:
    return str((await service.client.get(f"/invoices/{invoice_id}", headers=VIEWER)).json()["status"])


@pytest.mark.parametrize(("channel", "final", "code", "reason"), [
    ("peppol", "scheduled_for_payment", "REF", "invalid_po"),  # Peppol: AB, RE, AB, AP, PD (no code after PD)
    # cXML: processing, rejected, ..., reconciled, paying, paid (the customer's word: paid_by_customer, issue 12)
    ("coupa", "paid_by_customer", "PO-INVALID", "invalid_po"),
])
async def test_round_trip_with_standard_messages(service: Service, channel: str, final: str, code: str,
                                                 reason: str) -> None:
    extra = {"peppol_participant_id": "0088:5790000435968"} if channel == "peppol" else {}
    async with serving(service.app, lifespan="off") as invoicing, \
            serving(simulator(f"{invoicing}/portal/messages")) as portal:
        await put_profile(service, channel=channel, portal_url=portal, **extra)
        invoice = await service.issued(po_number="4711")  # the portal wants PO-<digits>
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200

        async def reached(wanted: str) -> bool:
            return await status(service, invoice["id"]) == wanted

        await eventually(lambda: reached("portal_rejected"))
        again = await service.act(invoice["id"], "resubmit", PREPARER, correction_note="PO number fixed",
                                  po_number="PO-4711")
        assert again.status_code == 200, again.text
        await eventually(lambda: reached(final))
    history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=VIEWER)).json()
    rejected = next(h for h in history if h["to_status"] == "portal_rejected")
    assert (rejected["portal_reason_code"], rejected["reason"]) == (code, reason)
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type LIKE '%portal_rejected%'")
    assert json.loads(rows[0][0])["portal_reason_code"] == code
    audit = await service.rows("SELECT after FROM audit_log WHERE action = 'invoice.portal_rejected'")
    via = json.loads(audit[0][0])["via"] if isinstance(audit[0][0], str) else audit[0][0]["via"]
    assert via == ("peppol-invoice-response" if channel == "peppol" else "cxml-status-update")


def _signed(body: bytes) -> dict[str, str]:
    return {**signed_headers(DEV_CALLBACK_SECRET, timestamp=int(time.time()), body=body),
            "Content-Type": "application/xml"}


async def test_messages_are_signed_checked_and_matched_to_a_submission(service: Service) -> None:
    body = invoice_response(invoice_number="US01-2099-999999", code="AP", sender=("0088", "5790000435968", "A"),
                            receiver=("0060", "123456789", "o2c"))
    assert (await service.client.post("/portal/messages", content=body)).status_code == 401
    unknown = problem(await service.client.post("/portal/messages", content=body, headers=_signed(body)), 404)
    assert "US01-2099-999999" in unknown["detail"]
    broken = body.replace(b">AP</cbc:ResponseCode>", b">ZZ</cbc:ResponseCode>")
    invalid = problem(await service.client.post("/portal/messages", content=broken, headers=_signed(broken)), 422)
    assert invalid["type"].endswith("/status-message-invalid") and "ResponseCode" in invalid["element"]


async def test_a_message_for_the_submitted_invoice_is_applied_once(service: Service) -> None:
    async with serving(simulator("http://127.0.0.1:9/none", review_delay_s=3600)) as portal, \
            httpx.AsyncClient():
        await put_profile(service, channel="peppol", portal_url=portal, peppol_participant_id="0088:5790000435968")
        invoice = await service.issued()
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200
    body = invoice_response(invoice_number=invoice["number"], code="RE", sender=("0088", "5790000435968", "A"),
                            receiver=("0060", "123456789", "o2c"), reasons=[("PRI", "Unit price 33.335 != 30")],
                            actions=[("CNP", None)])
    first = await service.client.post("/portal/messages", content=body, headers=_signed(body))
    assert first.status_code == 200, first.text
    assert first.json() | {} == {"outcome": "applied", "invoice_status": "portal_rejected",
                                 "invoice_number": invoice["number"], "source": "peppol-invoice-response",
                                 "portal_status_code": "RE", "portal_reason_code": "PRI",
                                 "reason": "price_mismatch", "root_cause": "pricing"}
    again = await service.client.post("/portal/messages", content=body, headers=_signed(body))
    assert again.json()["outcome"] == "duplicate"
    history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=VIEWER)).json()
    assert "action CNP Credit partially" in history[-1]["note"]
