"""The invoice state machine (BRIEF §3): which action is allowed from which status."""

from __future__ import annotations

from o2c_invoicing.invoices.errors import InvalidTransition

OPEN_AFTER_ISSUE = frozenset({"issued", "submitted", "portal_received", "portal_rejected", "resubmitted",
                              "portal_approved", "scheduled_for_payment"})
SUBMITTED = frozenset({"submitted", "resubmitted", "portal_received"})
# Issued but not yet approved by the customer's portal (the "due soon without portal approval" queue).
AWAITING_PORTAL_APPROVAL = frozenset({"issued", "submitted", "resubmitted", "portal_received", "portal_rejected"})
# Statuses in which an invoice waits for someone (us or the portal) to move it: no change for N days is a stall.
STALLABLE = AWAITING_PORTAL_APPROVAL | {"portal_approved"}

ALLOWED_FROM: dict[str, frozenset[str]] = {
    "request_approval": frozenset({"draft"}),
    "approve": frozenset({"pending_approval"}),
    "return_to_draft": frozenset({"pending_approval", "approved"}),
    "issue": frozenset({"approved"}),
    "cancel": frozenset({"draft", "pending_approval", "approved"}),
    "submit": frozenset({"issued"}),
    "resubmit": frozenset({"portal_rejected"}),
    "credit": OPEN_AFTER_ISSUE,
    "mark_paid": OPEN_AFTER_ISSUE,
    # portal statuses reported by callbacks or polling
    "portal_received": SUBMITTED,
    "portal_rejected": SUBMITTED,
    "portal_approved": SUBMITTED,
    "scheduled_for_payment": frozenset({"portal_approved"}),
    "portal_paid": frozenset({"portal_approved", "scheduled_for_payment"}),
}


def check(action: str, status: str) -> None:
    allowed = ALLOWED_FROM[action]
    if status not in allowed:
        raise InvalidTransition(action=action, status=status, allowed_from=allowed)
