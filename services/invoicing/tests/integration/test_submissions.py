"""Submission through the channel adapters (portal over HTTP, e-mail over SMTP), signed callbacks, polling,
resubmission, and the simulator round trip submit → reject → correct → resubmit → approve → paid."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from o2c_cli.testing import mail_sink
from o2c_invoicing.config import DEV_CALLBACK_SECRET
from o2c_invoicing.portal.service import poll_once
from o2c_invoicing.simulator.app import SimulatorSettings, create_app
from o2c_invoicing.submissions.signing import signed_headers
from services.invoicing.tests.conftest import PREPARER, SUPERVISOR, VIEWER, Service, problem
from services.invoicing.tests.portal import eventually, serving

pytestmark = pytest.mark.integration


def simulator(callback_url: str | None = None, **overrides: Any) -> Any:
    values: dict[str, Any] = {"callback_url": callback_url, "review_delay_s": 0, "schedule_delay_s": 0,
                              "pay_delay_s": 0, **overrides}
    return create_app(SimulatorSettings(**values))


async def put_profile(service: Service, customer: str = "CUST-1", **overrides: Any) -> None:
    body = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
            "portal_account": "acme-7781", "tax_id": "US123", **overrides}
    response = await service.client.put(f"/billing-profiles/{customer}", json=body, headers=SUPERVISOR)
    assert response.status_code == 201, response.text


async def status(service: Service, invoice_id: str) -> str:
    return str((await service.client.get(f"/invoices/{invoice_id}", headers=VIEWER)).json()["status"])


async def test_submit_is_refused_with_every_violation_and_only_the_failure_is_recorded(service: Service) -> None:
    """Changed by issue 12: the refusal is recorded (submission_failures, audit, invoice.submission_failed) so the
    invoice waits in a work queue; the invoice itself does not change."""
    await put_profile(service, tax_id=None, portal_url="http://127.0.0.1:9",
                      rules={"po_required": True, "tax_id_required": True, "service_period_required": True})
    invoice = await service.issued(po_number=None, override=True)
    problem(await service.client.post(f"/invoices/{invoice['id']}/submit", headers=PREPARER), 428)
    before = await service.counts()
    body = problem(await service.act(invoice["id"], "submit", PREPARER), 422)
    assert body["type"].endswith("/portal-rules-violated")
    assert {v["rule"] for v in body["violations"]} == {"po_required", "tax_id_required", "service_period_required"}
    invoices, audits, outbox, *rest = await service.counts()
    assert (invoices, *rest) == (before[0], *before[3:]) and await status(service, invoice["id"]) == "issued"
    assert (audits, outbox) == (before[1] + 1, before[2] + 1)
    assert (await service.outbox_types())[-1] == "invoice.submission_failed"


async def test_a_document_the_standards_would_reject_is_never_sent(service: Service) -> None:
    """Reverse charge (AE) needs the buyer's VAT id: the UBL cannot conform, so nothing goes out (422 naming
    the field); only the refusal is recorded (issue 12: invoice.submission_failed, the invoice waits in a queue)."""
    await put_profile(service, channel="peppol", tax_id=None, peppol_participant_id="0088:5790000435968",
                      e_invoicing={"tax_category": "AE"})
    invoice = await service.issued(lines=[{"description": "Installation", "quantity": "1", "unit_price": "100",
                                           "tax_rate": "0"}])
    before = await service.counts()
    body = problem(await service.act(invoice["id"], "submit", PREPARER), 422)
    assert [(v["rule"], v["pointer"]) for v in body["violations"]] == [("einvoice_data",
                                                                        "#/billing_profile/tax_id")]
    invoices, audits, outbox, *rest = await service.counts()
    assert (invoices, *rest) == (before[0], *before[3:]) and await status(service, invoice["id"]) == "issued"
    assert (audits, outbox) == (before[1] + 1, before[2] + 1)
    assert (await service.outbox_types())[-1] == "invoice.submission_failed"
    assert await service.scalar("SELECT kind FROM submission_failures") == "portal_rules"


async def test_cxml_over_http_to_the_portal_and_a_dead_portal_writes_nothing(service: Service) -> None:
    async with serving(simulator(review_delay_s=3600)) as portal:
        await put_profile(service, portal_url="http://127.0.0.1:9")  # nothing listens there
        invoice = await service.issued()
        before = await service.counts()
        assert problem(await service.act(invoice["id"], "submit", PREPARER), 502)["type"].endswith(
            "/portal-delivery-failed")
        assert await service.scalar("SELECT kind FROM submission_failures") == "delivery_failed"
        assert (await service.counts())[3:] == before[3:]  # no submission: only the failure is recorded
        current = await service.client.get("/billing-profiles/CUST-1", headers=SUPERVISOR)
        body = {k: v for k, v in current.json().items() if k in {"name", "legal_entity", "currency", "channel",
                                                                  "portal_account", "tax_id"}}
        await service.client.put("/billing-profiles/CUST-1", json={**body, "portal_url": portal},
                                 headers={**SUPERVISOR, "If-Match": current.headers["ETag"]})
        submitted = await service.act(invoice["id"], "submit", PREPARER)
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"
        subs = (await service.client.get(f"/invoices/{invoice['id']}/submissions", headers=VIEWER)).json()
        assert [(s["attempt"], s["document_format"], s["status"]) for s in subs] == [(1, "cxml", "submitted")]
        assert subs[0]["portal_reference"].startswith("SIM-")
        assert await service.outbox_types() == ["invoice.approved", "invoice.issued", "invoice.submission_failed",
                                                "invoice.submitted"]
        problem(await service.act(invoice["id"], "submit", PREPARER), 409)  # once only


async def test_email_channel_sends_the_ubl_over_smtp(service: Service, tmp_path: Path) -> None:
    with mail_sink(tmp_path / "mail") as sink:
        service.settings.smtp_port = sink.port
        await put_profile(service, channel="email", email="ap@acme.example")
        invoice = await service.issued()
        response = await service.act(invoice["id"], "submit", PREPARER)
        assert response.status_code == 200, response.text
    assert len(sink.raw) == 1
    mail = sink.raw[0].decode()
    assert "To: ap@acme.example" in mail and f"Subject: Invoice {response.json()['number']}" in mail
    number = response.json()["number"]
    assert f'filename="{number}.pdf"' in mail and "application/pdf" in mail and "application/xml" not in mail
    subs = (await service.client.get(f"/invoices/{invoice['id']}/submissions", headers=VIEWER)).json()
    assert subs[0]["document_format"] == "pdf" and subs[0]["channel"] == "email"


async def test_email_with_the_ubl_where_the_profile_asks_and_credit_notes_by_email(service: Service,
                                                                                   tmp_path: Path) -> None:
    with mail_sink(tmp_path / "mail") as sink:
        service.settings.smtp_port = sink.port
        await put_profile(service, channel="email", email="ap@acme.example", e_invoicing={"attach_ubl": True})
        invoice = await service.issued()
        response = await service.act(invoice["id"], "submit", PREPARER)
        assert response.status_code == 200, response.text
        current = await service.client.get(f"/invoices/{invoice['id']}", headers=SUPERVISOR)
        credit = await service.client.post(f"/invoices/{invoice['id']}/credit-notes",
                                           json={"amount": "10.00", "reason": "pricing"},
                                           headers={**SUPERVISOR, "If-Match": current.headers["ETag"]})
        assert credit.status_code == 201, credit.text
        sent = await service.client.post(f"/invoices/{invoice['id']}/credit-notes/{credit.json()['id']}/send",
                                         headers=PREPARER)
        assert sent.status_code == 200, sent.text
    assert len(sink.raw) == 2
    number, cn = response.json()["number"], credit.json()["number"]
    assert f'filename="{number}.pdf"' in sink.raw[0].decode() and f'filename="{number}.xml"' in sink.raw[0].decode()
    mail = sink.raw[1].decode()
    assert f"Subject: Credit note {cn} for invoice {number}" in mail
    assert f'filename="{cn}.pdf"' in mail and f'filename="{cn}.xml"' in mail
    assert sent.json()["document_format"] == "ubl" and sent.json()["channel"] == "email"
    audit = await service.rows("SELECT count(*) FROM audit_log WHERE action = 'credit_note.sent'")
    assert audit[0][0] == 1


async def test_credit_notes_go_to_the_portal_as_ubl_credit_note_and_cxml_credit_memo(service: Service) -> None:
    async with serving(simulator(review_delay_s=3600)) as portal, httpx.AsyncClient() as client:
        for channel, extra, fmt in (("peppol", {"peppol_participant_id": "0088:5790000435968"}, "ubl"),
                                    ("coupa", {}, "cxml")):
            await put_profile(service, customer=f"CUST-{channel}", channel=channel, portal_url=portal, **extra)
            invoice = await service.issued(customer_id=f"CUST-{channel}")
            assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200
            for amount in ("10.00", None):
                current = await service.client.get(f"/invoices/{invoice['id']}", headers=SUPERVISOR)
                body = {"reason": "pricing", **({"amount": amount} if amount else {})}
                credit = await service.client.post(f"/invoices/{invoice['id']}/credit-notes", json=body,
                                                   headers={**SUPERVISOR, "If-Match": current.headers["ETag"]})
                assert credit.status_code == 201, credit.text
                sent = await service.client.post(
                    f"/invoices/{invoice['id']}/credit-notes/{credit.json()['id']}/send", headers=PREPARER)
                assert sent.status_code == 200, sent.text
                assert sent.json()["document_format"] == fmt
                view = (await client.get(f"{portal}/invoices/{sent.json()['reference']}")).json()
                assert view["invoice_number"] == credit.json()["number"] and view["status"] == "AP"
    missing = await service.client.post(f"/invoices/{invoice['id']}/credit-notes/{invoice['id']}/send",
                                        headers=PREPARER)
    assert problem(missing, 404)["type"].endswith("/credit-note-not-found")


async def test_callback_signatures_are_checked(service: Service) -> None:
    body = b'{"reference": "SIM-NOPE", "status": "AP"}'
    url, now = "/portal/callbacks", int(time.time())
    before = await service.counts()
    assert problem(await service.client.post(url, content=body), 401)["type"].endswith("/signature-missing")
    forged = signed_headers("not-the-secret", timestamp=now, body=body)
    assert problem(await service.client.post(url, content=body, headers=forged), 401)["type"].endswith(
        "/signature-invalid")
    tampered = signed_headers(DEV_CALLBACK_SECRET, timestamp=now, body=body)
    assert problem(await service.client.post(url, content=body.replace(b"AP", b"RE"), headers=tampered),
                   401)["type"].endswith("/signature-invalid")
    stale = signed_headers(DEV_CALLBACK_SECRET, timestamp=now - 3600, body=body)
    assert problem(await service.client.post(url, content=body, headers=stale), 401)["type"].endswith(
        "/signature-stale")
    good = signed_headers(DEV_CALLBACK_SECRET, timestamp=now, body=body)
    problem(await service.client.post(url, content=body, headers=good), 404)  # unknown reference
    junk = b'{"status": 5}'
    problem(await service.client.post(url, content=junk, headers=signed_headers(
        DEV_CALLBACK_SECRET, timestamp=now, body=junk)), 422)
    assert await service.counts() == before


async def test_polling_job_follows_a_portal_that_does_not_call_back(service: Service) -> None:
    async with serving(simulator()) as portal, httpx.AsyncClient() as client:
        await put_profile(service, portal_url=portal, polls=True)
        invoice = await service.issued()
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200
        reference = (await service.client.get(f"/invoices/{invoice['id']}/submissions",
                                              headers=VIEWER)).json()[0]["portal_reference"]

        async def paid_at_portal() -> bool:
            return bool((await client.get(f"{portal}/invoices/{reference}")).json()["status"] == "PAID")

        await eventually(paid_at_portal)
        assert await poll_once(service.app.state.transactions, settings=service.settings,
                               client=client) == 1
        assert await poll_once(service.app.state.transactions, settings=service.settings,
                               client=client) == 0  # polled just now
    assert await status(service, invoice["id"]) == "paid_by_customer"  # the customer's word, not cash (issue 12)
    history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=VIEWER)).json()
    assert [(h["to_status"], h.get("attempt")) for h in history][-4:] == [
        ("portal_received", 1), ("portal_approved", 1), ("scheduled_for_payment", 1), ("paid_by_customer", 1)]
    assert (await service.outbox_types())[-3:] == ["invoice.portal_approved", "invoice.scheduled_for_payment",
                                                   "invoice.customer_reported_paid"]


async def test_round_trip_submit_reject_correct_resubmit_approve_paid(service: Service) -> None:
    async with serving(service.app, lifespan="off") as invoicing, \
            serving(simulator(f"{invoicing}/portal/callbacks")) as portal:
        await put_profile(service, portal_url=portal)
        invoice = await service.issued(po_number="4711")  # the portal wants PO-<digits>
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200

        async def reached(wanted: str) -> bool:
            return await status(service, invoice["id"]) == wanted

        await eventually(lambda: reached("portal_rejected"))
        problem(await service.act(invoice["id"], "resubmit", PREPARER), 422)  # a correction note is required
        again = await service.act(invoice["id"], "resubmit", PREPARER, correction_note="PO number fixed",
                                  po_number="PO-4711")
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "resubmitted" and again.json()["po_number"] == "PO-4711"
        await eventually(lambda: reached("paid_by_customer"))
    subs = (await service.client.get(f"/invoices/{invoice['id']}/submissions", headers=VIEWER)).json()
    assert [(s["attempt"], s["status"]) for s in subs] == [(1, "portal_rejected"), (2, "portal_paid")]
    assert subs[1]["previous_submission_id"] == subs[0]["id"]
    history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=VIEWER)).json()
    rejected = next(h for h in history if h["to_status"] == "portal_rejected")
    assert (rejected["portal_reason_code"], rejected["reason"], rejected["root_cause"]) == ("PO-INVALID",
                                                                                         "invalid_po", "po")
    assert await service.outbox_types() == [
        "invoice.approved", "invoice.issued", "invoice.submitted", "invoice.portal_rejected",
        "invoice.resubmitted", "invoice.portal_approved", "invoice.scheduled_for_payment",
        "invoice.customer_reported_paid"]
    payloads = {r[0].removeprefix("o2c.").removesuffix(".v1"): json.loads(r[1])
                for r in await service.rows("SELECT event_type, payload FROM outbox")}
    assert payloads["invoice.portal_rejected"]["rejection_count"] == 1
    assert payloads["invoice.resubmitted"]["attempt"] == 2
    assert payloads["invoice.resubmitted"]["corrected_reason"] == "invalid_po"
    assert payloads["invoice.portal_approved"]["first_pass"] is False
    assert payloads["invoice.customer_reported_paid"]["attempt"] == 2  # issue 12: no invoice.paid without cash
