"""The month's channel legs, played against the running stack.

- A customer's AP portal (the portal simulator: cXML in, the standard status messages back, signed) rejects two
  invoices whose purchase order it has closed; the billing specialist finds them in the work queue with the
  portal's reason, corrects the PO and resubmits; the portal approves, schedules and reports every invoice paid,
  which settles nothing: only cash does.
- An e-mail customer while the SMTP server is down: the submission fails (502) and writes nothing but the failure,
  the invoice waits in `delivery_failed` with the reason, and goes out once the server is back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from o2c_cli.localstack import free_port
from o2c_cli.mail import kept_messages
from o2c_cli.stack import Stack

from .month import PORTAL_CUSTOMER, Draft

CLOSED_POS = 2  # the portal has closed the purchase orders of this many invoices: it rejects them
EMAIL_CUSTOMER = "M-BEISPIEL"
EMAIL_ADDRESS = "rechnungen@beispiel-kreditoren.example"  # not the dunning contact: the dunning leg counts those
SETTLES_NOTHING = {"open", "partly_settled"}

Ok = Callable[..., Any]
Eventually = Callable[..., Any]


def start_portal(stack: Stack, drafts: list[Draft]) -> list[str]:
    """The portal simulator with deterministic rules (no random rejections, short delays); returns the POs it
    has closed."""
    closed = [f"PO-{d.key}" for d in drafts if d.account.customer_id == PORTAL_CUSTOMER and d.po][:CLOSED_POS]
    stack.config.simulator_port = free_port()
    stack.start_simulator(PORTAL_SIM_REJECTION_RATE="0", PORTAL_SIM_PO_PATTERN=r"PO-[\w-]+",
                          PORTAL_SIM_CLOSED_POS=json.dumps(closed), PORTAL_SIM_REVIEW_DELAY_S="0.3",
                          PORTAL_SIM_SCHEDULE_DELAY_S="0.3", PORTAL_SIM_PAY_DELAY_S="0.3")
    return closed


def stop_portal(stack: Stack) -> None:
    process = stack.processes.pop("portal-simulator", None)
    if process is not None:
        process.terminate()
        process.wait(20)
    stack.config.simulator_port = None


def _submit(http: httpx.Client, draft: Draft, ok: Ok, *, expect: int = 200) -> Any:
    path = f"/invoices/{draft.id}"
    return ok(http.post(f"{path}/submit", headers={"If-Match": http.get(path).headers["ETag"]}), expect)


def _status(http: httpx.Client, draft: Draft, ok: Ok) -> str:
    return str(ok(http.get(f"/invoices/{draft.id}"))["status"])


def portal_leg(m: Any, drafts: list[Draft], closed: list[str], *, ok: Ok, eventually: Eventually) -> list[Draft]:
    """Submits the portal customer's issued invoices that carry a PO; returns them once the portal says paid."""
    portal = [d for d in drafts if d.account.customer_id == PORTAL_CUSTOMER and d.po and d.number]
    rejected = [d for d in portal if f"PO-{d.key}" in closed]
    assert len(rejected) == CLOSED_POS and len(portal) > CLOSED_POS
    for draft in portal:
        assert _submit(m.preparer, draft, ok)["status"] in {"submitted", "portal_received"}
    eventually(lambda: all(_status(m.preparer, d, ok) == "portal_rejected" for d in rejected) or None,
               what="the portal's rejections")

    queue = ok(m.invoicing.get("/work-queues/rejected_awaiting_correction", params={"limit": 200}))["items"]
    waiting = {w["id"]: w for w in queue}
    for draft in rejected:  # in the queue with the portal's reason and its code
        assert waiting[draft.id]["reason"] == "portal rejected: invalid_po", waiting[draft.id]
        assert "PO-INVALID" in waiting[draft.id]["reason_detail"]
        path = f"/invoices/{draft.id}"
        resubmitted = ok(m.preparer.post(f"{path}/resubmit", headers={"If-Match": m.preparer.get(path).headers["ETag"]},
                                         json={"correction_note": "PO replaced by the buyer's open PO",
                                               "po_number": f"PO-{draft.key}-R"}))
        assert resubmitted["status"] == "resubmitted" and resubmitted["po_number"] == f"PO-{draft.key}-R"

    eventually(lambda: all(_status(m.preparer, d, ok) == "paid_by_customer" for d in portal) or None,
               what="the portal's paid status for every submitted invoice", timeout=90)
    queue = ok(m.invoicing.get("/work-queues/rejected_awaiting_correction", params={"limit": 200}))["items"]
    assert not {d.id for d in rejected} & {w["id"] for w in queue}  # corrected: out of the queue
    for draft in rejected:
        attempts = ok(m.preparer.get(f"/invoices/{draft.id}/submissions"))
        assert [a["attempt"] for a in attempts] == [1, 2] and attempts[1]["correction_note"]
    return portal


def email_leg(m: Any, stack: Stack, drafts: list[Draft], *, ok: Ok, eventually: Eventually) -> Draft:
    """One e-mailed invoice while the SMTP server is down, then again once it is back."""
    draft = next(d for d in reversed(drafts) if d.account.customer_id == EMAIL_CUSTOMER and d.number)
    profile = {"name": "Beispiel GmbH", "legal_entity": "DE01", "currency": "EUR", "channel": "email",
               "email": EMAIL_ADDRESS, "tax_id": "DE811907980"}
    ok(m.invoicing.put(f"/billing-profiles/{EMAIL_CUSTOMER}", json=profile), 201)
    mail = stack.processes.pop("mail")
    mail.terminate()
    mail.wait(20)
    try:
        failed = _submit(m.preparer, draft, ok, expect=502)
        assert failed["status"] == 502, failed
        assert _status(m.preparer, draft, ok) == "issued"  # nothing half-written: not "submitted"
        queue = ok(m.invoicing.get("/work-queues/delivery_failed", params={"limit": 200}))["items"]
        item = next(w for w in queue if w["id"] == draft.id)
        assert item["reason"].startswith("not delivered (email_failed"), item
    finally:
        stack.start_mail()
    assert _submit(m.preparer, draft, ok)["status"] == "submitted"
    eventually(lambda: [k for k in kept_messages(stack.config.data_dir / "mail") if EMAIL_ADDRESS in k.recipients]
               or None, what="the e-mailed invoice in the mailbox")
    queue = ok(m.invoicing.get("/work-queues/delivery_failed", params={"limit": 200}))["items"]
    assert draft.id not in {w["id"] for w in queue}
    return draft
