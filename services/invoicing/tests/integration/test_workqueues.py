"""Issue 12, A7 and A3: every invoice that cannot move on is in a work queue with its reason — an issue or a
submission refused by the portal's rules, a delivery its portal or SMTP did not take, a portal's "paid" with no
cash after N days — and a later success takes it out."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from o2c_cli.invoicing import queue_table, work_queues
from o2c_cli.testing import mail_sink
from services.invoicing.tests.conftest import APPROVER, PREPARER, SUPERVISOR, VIEWER, Service, problem
from services.invoicing.tests.integration.test_bulk import api
from services.invoicing.tests.integration.test_settlement import at_portal, portal_says
from services.invoicing.tests.integration.test_submissions import put_profile
from services.invoicing.tests.integration.test_work_queues import _move
from services.invoicing.tests.ledger import Ledger, handle

pytestmark = pytest.mark.integration


async def queue(service: Service, name: str) -> dict[str, dict[str, Any]]:
    response = await service.client.get(f"/work-queues/{name}", headers=VIEWER, params={"limit": 200})
    assert response.status_code == 200, response.text
    return {i["id"]: i for i in response.json()["items"]}


async def queues_of(service: Service, invoice_id: str) -> set[str]:
    names = [q["queue"] for q in (await service.client.get("/work-queues", headers=VIEWER)).json()["queues"]]
    return {name for name in names if invoice_id in await queue(service, name)}


async def test_a_submission_refused_by_portal_rules_waits_with_its_reason(service: Service) -> None:
    await put_profile(service, rules={"po_required": True}, portal_url="http://127.0.0.1:9")
    invoice = await service.issued(po_number=None, override=True)
    assert await queues_of(service, invoice["id"]) == {"not_submitted"}
    problem(await service.act(invoice["id"], "submit", PREPARER), 422)
    item = (await queue(service, "submission_refused"))[invoice["id"]]
    assert item["reason"] == "portal rules refused the submission: po_required: the portal requires a PO number"
    assert await queues_of(service, invoice["id"]) == {"submission_refused"}
    failed = json.loads(await service.scalar(
        "SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.submission_failed.v1'"))
    assert (failed["kind"], failed["attempt"], failed["channel"]) == ("portal_rules", 1, "coupa")


async def test_an_smtp_failure_waits_with_its_reason_until_delivered(service: Service, tmp_path: Path) -> None:
    await put_profile(service, channel="email", email="ap@acme.example")
    invoice = await service.issued()
    service.settings.smtp_port = 9  # nothing listens there
    problem(await service.act(invoice["id"], "submit", PREPARER), 502)
    item = (await queue(service, "delivery_failed"))[invoice["id"]]
    assert item["reason"] == "not delivered (email_failed, attempt 1)"
    assert item["reason_detail"].startswith("SMTP 127.0.0.1:9 failed:")
    # mended (the mail server is back): resubmitted from issued as its first delivery, out of the queue
    with mail_sink(tmp_path / "mail") as sink:
        service.settings.smtp_port = sink.port
        again = await service.act(invoice["id"], "resubmit", PREPARER, correction_note="mail server back")
        assert again.status_code == 200, again.text
    assert again.json()["status"] == "submitted" and len(sink.raw) == 1
    assert invoice["id"] not in await queue(service, "delivery_failed")


async def test_an_issue_refused_by_portal_rules_waits_and_an_override_is_audited(service: Service) -> None:
    """A4: the rules are checked at approval and at issue (the number format against the number about to be
    taken), refusing with 422 and no number consumed; an approver's override is audited."""
    await put_profile(service, rules={"po_required": True, "invoice_number_pattern": r"US01-\d{4}-\d{6}"})
    no_po = await service.create(po_number=None)
    assert (await service.act(no_po["id"], "request-approval", PREPARER)).status_code == 200
    refused = problem(await service.act(no_po["id"], "approve", APPROVER), 422)
    assert refused["step"] == "approve" and [v["rule"] for v in refused["violations"]] == ["po_required"]
    assert "an approver may override" in refused["detail"]
    waiting_approval = (await queue(service, "awaiting_approval"))[no_po["id"]]
    assert waiting_approval["reason"] == ("portal rules refused the approval: po_required: the portal requires a "
                                          "PO number")
    problem(await service.act(no_po["id"], "approve", APPROVER, override_portal_rules=True), 422)  # no reason
    approved = await service.act(no_po["id"], "approve", APPROVER, override_portal_rules=True,
                                 override_reason="PO confirmed by phone, follows")
    assert approved.status_code == 200 and approved.json()["portal_rules_overridden"] == ["po_required"]
    audit = await service.rows("SELECT actor, reason, before FROM audit_log "
                               "WHERE action = 'invoice.portal_rules_overridden'")
    assert [(a, r) for a, r, _ in audit] == [("amy", "PO confirmed by phone, follows")]
    issued = await service.act(no_po["id"], "issue", PREPARER)  # overridden once: not asked again at issue
    assert issued.status_code == 200 and issued.json()["number"].endswith("-000001")

    # the profile changes between approval and issue: the issue is refused, the number given back
    current = await service.client.get("/billing-profiles/CUST-1", headers=SUPERVISOR)
    body = {k: v for k, v in current.json().items() if k in {"name", "legal_entity", "currency", "channel",
                                                              "portal_account", "tax_id"}}
    await service.client.put("/billing-profiles/CUST-1", json={**body, "rules": {"max_lines": 1}},
                             headers={**SUPERVISOR, "If-Match": current.headers["ETag"]})
    two_lines = await service.create(lines=[{"description": "a", "quantity": "1", "unit_price": "1"},
                                            {"description": "b", "quantity": "1", "unit_price": "1"}])
    for action in ("request-approval", "approve"):
        await service.act(two_lines["id"], action, PREPARER if action == "request-approval" else APPROVER,
                          **({} if action == "request-approval" else {"override_portal_rules": True,
                                                                       "override_reason": "ok"}))
    await service.execute("UPDATE invoices SET portal_rules_overridden = '[]' WHERE id = :i",
                          i=uuid.UUID(two_lines["id"]))
    problem(await service.act(two_lines["id"], "issue", PREPARER), 422)
    waiting = (await queue(service, "submission_refused"))[two_lines["id"]]
    assert waiting["status"] == "approved" and "max_lines" in waiting["reason"]
    problem(await service.act(two_lines["id"], "issue", PREPARER, override_portal_rules=True,
                              override_reason="x"), 403)  # the preparer may not override
    overridden = await service.act(two_lines["id"], "issue", APPROVER, override_portal_rules=True,
                                   override_reason="portal raised its limit")
    assert overridden.status_code == 200 and overridden.json()["number"].endswith("-000002")  # no gap
    assert two_lines["id"] not in await queue(service, "submission_refused")


async def test_customer_says_paid_with_no_cash_after_n_days(service: Service) -> None:
    quiet, waiting, settled = await service.issued(), await service.issued(), await service.issued()
    ledger = Ledger(settled)
    await handle(service, Ledger(quiet).opened(), Ledger(waiting).opened(), ledger.opened())
    for invoice in (quiet, waiting, settled):
        await portal_says(service, await at_portal(service, invoice["id"]), "PAID")
    days = service.settings.customer_paid_no_cash_days
    await service.execute("UPDATE invoices SET customer_paid_reported_at = now() - make_interval(days => :d), "
                          "status_since = now() - make_interval(days => :d) WHERE id IN (:a, :b)",
                          d=days + 1, a=uuid.UUID(waiting["id"]), b=uuid.UUID(settled["id"]))
    await handle(service, ledger.post("payment", -ledger.open, payment_id=uuid.uuid4()))
    found = await queue(service, "customer_says_paid_no_cash")
    assert set(found) == {waiting["id"]}  # not the recent one, not the one cash settled
    assert found[waiting["id"]]["reason"] == (
        f"customer's portal says paid {days + 1} days ago; no cash applied after {days} days, "
        "ledger open 110.01 USD")
    row = next(r for r in (await service.client.get("/settlements", headers=SUPERVISOR)).json()["items"]
               if r["invoice_id"] == settled["id"])
    assert Decimal(row["ledger_open_amount"]) == ledger.open == 0


async def test_no_stuck_invoice_outside_a_queue(service: Service) -> None:
    """The invariant: every invoice waiting on us (awaiting approval, refused or undelivered, never sent,
    rejected by its portal, reported paid without cash, long stalled) is in at least one queue."""
    await put_profile(service, rules={"po_required": True}, portal_url="http://127.0.0.1:9")
    pending = await service.create()
    await service.act(pending["id"], "request-approval", PREPARER)
    not_sent = await service.issued()
    refused = await service.issued(po_number=None, override=True)
    await service.act(refused["id"], "submit", PREPARER)
    undelivered = await service.issued()
    await service.act(undelivered["id"], "submit", PREPARER)
    rejected = await service.issued()
    await _move(service, rejected["id"], "submitted")
    await _move(service, rejected["id"], "portal_rejected")
    says_paid = await service.issued()
    await portal_says(service, await at_portal(service, says_paid["id"]), "PAID")
    await service.execute("UPDATE invoices SET customer_paid_reported_at = now() - interval '30 days' "
                          "WHERE id = :i", i=uuid.UUID(says_paid["id"]))
    for invoice in (pending, not_sent, refused, undelivered, rejected, says_paid):
        assert await queues_of(service, invoice["id"]), invoice["id"]
    for name, items in [(q, await queue(service, q)) for q in ("submission_refused", "delivery_failed",
                                                                "not_submitted", "rejected_awaiting_correction",
                                                                "customer_says_paid_no_cash",
                                                                "awaiting_approval")]:
        assert all(i["reason"] and "None" not in i["reason"] for i in items.values()), name


async def test_o2c_invoicing_queues_prints_the_reasons(service: Service) -> None:
    await put_profile(service, rules={"po_required": True}, portal_url="http://127.0.0.1:9")
    invoice = await service.issued(po_number=None, override=True)
    await service.act(invoice["id"], "submit", PREPARER)
    async with api(service, VIEWER) as client:
        counts = await work_queues(client)
        answer = await work_queues(client, queue="submission_refused")
    assert {q["queue"]: q["count"] for q in counts["queues"]}["submission_refused"] == 1
    console = Console(record=True, width=250)
    console.print(queue_table("submission_refused", answer))
    text = console.export_text()
    assert invoice["number"] in text and "110.01 USD" in text and "po_required" in text and "None" not in text
