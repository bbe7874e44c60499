"""Maker-checker on every reduction of a receivable a person asks for: the credit or the write-off of a dispute or
a deduction. Asking only parks it (``credit_requested`` / ``write_off_requested``, the amount stays held); a
decision approves or rejects it, and approval is allowed only

- to an ar_supervisor or an admin (:data:`APPROVER_ROLES`),
- who neither asked for it nor raised what it reduces (opened the dispute, booked the payment that left the
  deduction),
- and, for an ar_supervisor, while everything approved on the invoice so far plus this one stays within the
  limit of the invoice's currency (``reduction_limits``; splitting a credit into parts does not get under it).
  Above it, or in a currency without a limit, only an admin approves.

Each approval is entered in the register (``reduction_approvals``) the limits are summed over. Call with the
invoice's open item locked, so two approvals on one invoice are checked one after the other."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from o2c_collections.approvals import repository
from o2c_collections.approvals.models import ReductionApproval, ReductionKind
from o2c_collections.config import CollectionsSettings
from o2c_common.auth import Role
from o2c_common.errors import Conflict, Forbidden
from o2c_common.text import money
from o2c_common.tx import Tx

APPROVER_ROLES = (Role.AR_SUPERVISOR, Role.ADMIN)
"""Who may approve a credit or a write-off (within the limit; above it, an admin)."""


class NoWriteOffRequested(Conflict):
    type = "no-write-off-requested"
    title = "No write-off is waiting for approval"


class NoCreditRequested(Conflict):
    type = "no-credit-requested"
    title = "No credit is waiting for approval"


class SameApprover(Forbidden):
    type = "maker-checker"
    title = "The approver cannot be the requester"


class NotAnApprover(Forbidden):
    type = "missing-role"
    title = "Missing role"


class OverApprovalLimit(Forbidden):
    type = "over-approval-limit"
    title = "The credits and write-offs of this invoice are above the approver's limit"


@dataclass(frozen=True)
class Reduction:
    """A requested credit or write-off waiting for a decision."""

    kind: ReductionKind
    what: str  # "dispute <id>", for the problems
    invoice_id: uuid.UUID
    invoice_number: str | None
    currency: str
    amount: Decimal
    requested_by: str | None
    raised_by: str | None = None
    dispute_id: uuid.UUID | None = None
    deduction_id: uuid.UUID | None = None


def limit_for(settings: CollectionsSettings, currency: str) -> Decimal | None:
    """The ar_supervisor's limit per invoice in ``currency`` (None: only an admin approves)."""
    return settings.reduction_limits.get(currency, settings.reduction_limit_default)


async def check_decision(tx: Tx, reduction: Reduction, *, waiting: bool, approve: bool,
                         settings: CollectionsSettings) -> None:
    """Refuses a decision nobody may take: nothing waiting (409), not an approver, the requester or the one who
    raised it (for a dispute a deduction became, the booker of its payment too) (403), or an approval above the
    limit per invoice for a non-admin (403)."""
    if not waiting:
        missing = NoCreditRequested if reduction.kind == ReductionKind.CREDIT else NoWriteOffRequested
        raise missing(f"{reduction.what} has no {reduction.kind.replace('_', '-')} waiting for approval")
    if not tx.actor.has_role(*APPROVER_ROLES):
        raise NotAnApprover("only an ar_supervisor or an admin decides a credit or a write-off",
                            extensions={"required_roles": [r.value for r in APPROVER_ROLES]})
    subject = tx.actor.subject
    if subject == reduction.requested_by:
        raise SameApprover(f"the {reduction.kind.replace('_', '-')} was requested by you: another person approves it")
    raisers = {reduction.raised_by}
    if reduction.dispute_id is not None and reduction.deduction_id is not None:  # a deduction's dispute: its booker
        raisers.add(await repository.deduction_opener(tx.session, deduction_id=reduction.deduction_id))
    if subject in raisers:
        raise SameApprover(f"{reduction.what} was raised by you: another person approves its "
                           f"{reduction.kind.replace('_', '-')}")
    if approve and not tx.actor.is_admin:
        await _check_limit(tx, reduction, settings=settings)


async def _check_limit(tx: Tx, reduction: Reduction, *, settings: CollectionsSettings) -> None:
    limit, currency = limit_for(settings, reduction.currency), reduction.currency
    before = await repository.approved_total(tx.session, invoice_id=reduction.invoice_id)
    if limit is not None and before + reduction.amount <= limit:
        return
    invoice = reduction.invoice_number or str(reduction.invoice_id)
    if limit is None:
        detail = f"{currency} has no ar_supervisor limit for credits and write-offs: an admin approves them"
    elif before > 0:
        detail = (f"{money(reduction.amount, currency)} with the {money(before, currency)} credited and written "
                  f"off on invoice {invoice} before is above the ar_supervisor limit of "
                  f"{money(limit, currency)} per invoice: an admin approves it")
    else:
        detail = (f"{money(reduction.amount, currency)} is above the ar_supervisor limit of "
                  f"{money(limit, currency)} per invoice: an admin approves it")
    raise OverApprovalLimit(detail, extensions={
        "limit": None if limit is None else str(limit), "currency": currency,
        "approved_before": str(before), "requested": str(reduction.amount)})


async def record(tx: Tx, reduction: Reduction, *, amount: Decimal) -> None:
    """Enters the approved reduction (``amount``, what it actually reduces) in the register."""
    assert reduction.requested_by is not None
    await repository.add(tx.session, ReductionApproval(
        id=uuid.uuid4(), invoice_id=reduction.invoice_id, currency=reduction.currency, kind=reduction.kind,
        amount=amount, dispute_id=reduction.dispute_id, deduction_id=reduction.deduction_id,
        requested_by=reduction.requested_by, approved_by=tx.actor.subject, approved_at=tx.now()))
