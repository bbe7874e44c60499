"""Credit and rebill as one approved action: a preparer asks to replace an issued invoice by a corrected one;
another person's approval credits the original in full (``billing_error``), prepares, approves and issues the
replacement (``replaces_invoice_id``) and emits ``invoice.rebilled``, all in one transaction. Refused while
cash is applied to the original (unapply it in collections first)."""

from __future__ import annotations

import uuid

from o2c_common.errors import Conflict, NotFound
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceRebilled
from o2c_common.text import money
from o2c_common.tx import Tx
from o2c_invoicing.amendments.models import DecisionStatus
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.creditnotes.service import issue_credit_note
from o2c_invoicing.invoices import lifecycle, repository as invoices, states
from o2c_invoicing.invoices.errors import MakerCheckerViolation
from o2c_invoicing.invoices.models import Invoice, InvoiceApproval
from o2c_invoicing.invoices.schemas import InvoiceCreate
from o2c_invoicing.invoices.service import create_draft, get, team_to_bill
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.rebills import repository
from o2c_invoicing.rebills.models import InvoiceRebill


def _check_no_cash(invoice: Invoice) -> None:
    if invoice.paid_amount > 0:
        raise Conflict(f"{money(invoice.paid_amount, invoice.currency)} of cash is applied to invoice "
                       f"{invoice.number}: unapply it in collections first, then credit and rebill",
                       type="cash-applied", title="Cash is applied to the invoice",
                       extensions={"cash_applied": str(invoice.paid_amount)})
    if invoice.creditable_amount <= 0:
        raise Conflict(f"invoice {invoice.number} is credited in full already: issue a new invoice instead",
                       type="nothing-to-credit", title="Nothing left to credit")


async def request(tx: Tx, invoice: Invoice, *, corrected: InvoiceCreate, reason: str) -> InvoiceRebill:
    states.check("rebill", invoice.status)
    _check_no_cash(invoice)
    if not tx.actor.sees_all_teams:  # the approver prepares the replacement: the requester's team is checked here
        await team_to_bill(tx, corrected.customer_id)
    if await repository.pending_for(tx.session, invoice_id=invoice.id) is not None:
        raise Conflict("a credit and rebill of this invoice already awaits approval", type="rebill-pending",
                       title="Rebill pending")
    rebill = InvoiceRebill(id=uuid.uuid4(), invoice_id=invoice.id, corrected=corrected.model_dump(mode="json"),
                           reason=reason, status=DecisionStatus.PENDING, requested_by=tx.actor.subject,
                           requested_at=tx.now())
    await repository.add(tx.session, rebill)
    await tx.audit("invoice.rebill_requested", entity_type="invoice", entity_id=invoice.id, reason=reason,
                   after={"rebill_id": rebill.id, "corrected": rebill.corrected})
    return rebill


async def lock(tx: Tx, invoice: Invoice, rebill_id: uuid.UUID) -> InvoiceRebill:
    rebill = await repository.get(tx.session, invoice_id=invoice.id, rebill_id=rebill_id)
    if rebill is None:
        raise NotFound(f"invoice {invoice.id} has no rebill {rebill_id}", type="rebill-not-found",
                       title="Rebill not found")
    if rebill.status != DecisionStatus.PENDING:
        raise Conflict(f"the rebill was {rebill.status} already", type="rebill-decided", title="Rebill decided")
    return rebill


async def decide(tx: Tx, invoice: Invoice, rebill: InvoiceRebill, *, approve: bool, note: str | None,
                 settings: InvoicingSettings, override: lifecycle.Override | None) -> InvoiceRebill:
    decider = tx.actor.subject
    if decider == rebill.requested_by:
        raise MakerCheckerViolation("the requester of a credit and rebill may not approve it",
                                    extensions={"requested_by": rebill.requested_by})
    rebill.decided_by, rebill.decided_at, rebill.decision_note = decider, tx.now(), note
    if not approve:
        rebill.status = DecisionStatus.REFUSED
        await repository.add(tx.session, rebill)
        await tx.audit("invoice.rebill_refused", entity_type="invoice", entity_id=invoice.id, reason=note,
                       after={"rebill_id": rebill.id})
        return rebill
    states.check("rebill", invoice.status)
    _check_no_cash(invoice)
    credit = await issue_credit_note(tx, invoice, amount=None, reason="billing_error",
                                     note=f"credit and rebill: {rebill.reason}"[:2000])
    replacement = await _replacement(tx, invoice, rebill, settings=settings, override=override)
    rebill.status, rebill.credit_note_id, rebill.new_invoice_id = DecisionStatus.APPLIED, credit.id, replacement.id
    await repository.add(tx.session, rebill)
    await tx.audit("invoice.rebilled", entity_type="invoice", entity_id=invoice.id, reason=rebill.reason,
                   after={"credit_note": credit.number, "new_invoice_id": replacement.id,
                          "new_number": replacement.number})
    assert invoice.number is not None
    await tx.emit(InvoiceRebilled(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, credit_note_id=credit.id,
        new_invoice_id=replacement.id, requested_by=rebill.requested_by, approved_by=decider,
        rebilled_at=tx.now()))
    return rebill


async def _replacement(tx: Tx, original: Invoice, rebill: InvoiceRebill, *, settings: InvoicingSettings,
                       override: lifecycle.Override | None) -> Invoice:
    """The corrected invoice prepared by the requester, approved by the decider (this approval is the
    rebill's) and, when its amount needs two, by the original's other approver (carried over), and issued
    with ``replaces_invoice_id``."""
    data = InvoiceCreate.model_validate(rebill.corrected)
    draft = await create_draft(tx, data)
    replacement = await invoices.get(tx.session, invoice_id=draft.id, for_update=True)
    assert replacement is not None
    replacement.created_by, replacement.replaces_invoice_id = rebill.requested_by, original.id
    decider = tx.actor.subject
    approvers = [decider, *(a.approver for a in original.approvals
                            if a.approver not in (decider, rebill.requested_by))]
    required = lifecycle.approvals_required(replacement, settings)
    if len(approvers) < required:
        raise MakerCheckerViolation(
            f"the corrected invoice needs {required} approvals and the original had no other approver to carry "
            "over: ask a second approver to decide", extensions={"approvers": approvers, "required": required})
    for approver in approvers[:max(required, 1)]:
        await repository.add(tx.session, InvoiceApproval(invoice_id=replacement.id, approver=approver))
    await lifecycle.check_portal_rules(tx, replacement, step="approve", override=override)
    await lifecycle.move(tx, replacement, to=InvoiceStatus.APPROVED,
                         note=f"credit and rebill of {original.number}, approved by {decider}")
    await tx.emit(InvoiceApproved(
        invoice_id=replacement.id, legal_entity=replacement.legal_entity, customer_id=replacement.customer_id,
        currency=replacement.currency, amount=replacement.total_amount, prepared_by=rebill.requested_by,
        approved_by=decider, approvals=max(required, 1), approved_at=tx.now(), owning_team=replacement.owning_team))
    return await lifecycle.issue(tx, replacement, override=override)


async def list_for(tx: Tx, invoice_id: uuid.UUID) -> list[InvoiceRebill]:
    await get(tx, invoice_id)
    return await repository.for_invoice(tx.session, invoice_id=invoice_id)
