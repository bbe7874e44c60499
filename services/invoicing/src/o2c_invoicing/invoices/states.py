"""The invoice's statuses and its state machine (BRIEF §3): which action is allowed from which status."""

from __future__ import annotations

from enum import StrEnum

from o2c_invoicing.invoices.errors import InvalidTransition


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    ISSUED = "issued"
    CANCELLED = "cancelled"
    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"
    PORTAL_RECEIVED = "portal_received"
    PORTAL_REJECTED = "portal_rejected"
    PORTAL_APPROVED = "portal_approved"
    SCHEDULED_FOR_PAYMENT = "scheduled_for_payment"
    PAID_BY_CUSTOMER = "paid_by_customer"
    PAID = "paid"
    """History only: before settlement moved to the ledger, a settled (or portal-reported) invoice became paid."""
    CREDITED = "credited"
    """History only: before settlement moved to the ledger, a fully credited invoice became credited."""


class SettlementStatus(StrEnum):
    """What the AR ledger (collections) says is still owed: only ``receivable.changed`` moves it, never a portal."""

    OPEN = "open"
    PARTLY_SETTLED = "partly_settled"
    SETTLED = "settled"
    CREDITED = "credited"
    WRITTEN_OFF = "written_off"


S = InvoiceStatus
OPEN_AFTER_ISSUE = frozenset({S.ISSUED, S.SUBMITTED, S.PORTAL_RECEIVED, S.PORTAL_REJECTED, S.RESUBMITTED,
                              S.PORTAL_APPROVED, S.SCHEDULED_FOR_PAYMENT})
# Every status of an issued invoice (a receivable), old rows' paid and credited included: a credit is accepted in
# any of them, whatever the portal says.
AFTER_ISSUE = OPEN_AFTER_ISSUE | {S.PAID_BY_CUSTOMER, S.PAID, S.CREDITED}
BEFORE_ISSUE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.APPROVED, S.CANCELLED})
SUBMITTED = frozenset({S.SUBMITTED, S.RESUBMITTED, S.PORTAL_RECEIVED})
# Issued but not yet approved by the customer's portal (the "due soon without portal approval" queue).
AWAITING_PORTAL_APPROVAL = frozenset({S.ISSUED, S.SUBMITTED, S.RESUBMITTED, S.PORTAL_RECEIVED, S.PORTAL_REJECTED})
# Statuses in which an invoice waits for someone (us or the portal) to move it: no change for N days is a stall.
STALLABLE = AWAITING_PORTAL_APPROVAL | {S.PORTAL_APPROVED}

ALLOWED_FROM: dict[str, frozenset[InvoiceStatus]] = {
    "request_approval": frozenset({S.DRAFT}),
    "approve": frozenset({S.PENDING_APPROVAL}),
    "return_to_draft": frozenset({S.PENDING_APPROVAL, S.APPROVED}),
    "issue": frozenset({S.APPROVED}),
    "cancel": frozenset({S.DRAFT, S.PENDING_APPROVAL, S.APPROVED}),
    "submit": frozenset({S.ISSUED}),
    # rejected by the portal, or issued and refused before delivery (portal rules, channel down) then mended
    "resubmit": frozenset({S.PORTAL_REJECTED, S.ISSUED}),
    "credit": AFTER_ISSUE,
    "amend": AWAITING_PORTAL_APPROVAL,
    "rebill": AFTER_ISSUE,
    # portal statuses reported by callbacks or polling
    "portal_received": SUBMITTED,
    "portal_rejected": SUBMITTED,
    "portal_approved": SUBMITTED,
    "scheduled_for_payment": frozenset({S.PORTAL_APPROVED}),
    "portal_paid": frozenset({S.PORTAL_APPROVED, S.SCHEDULED_FOR_PAYMENT}),  # → paid_by_customer
}


def allowed(action: str, status: str) -> bool:
    return status in ALLOWED_FROM[action]


def check(action: str, status: str) -> None:
    if not allowed(action, status):
        raise InvalidTransition(action=action, status=status, allowed_from=ALLOWED_FROM[action])
