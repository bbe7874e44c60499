"""Draft → pending_approval → approved → issued, with maker-checker, and cancel before issue.

Every transition locks the invoice row (``FOR UPDATE``), checks the caller's ``If-Match`` against the
locked version, checks the state machine, then changes state, history, audit and outbox in one transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceCancelled
from o2c_common.outbox import Outbox
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.deps import Precondition
from o2c_invoicing.invoices import repository, states
from o2c_invoicing.invoices.errors import MakerCheckerViolation
from o2c_invoicing.invoices.models import Invoice, InvoiceApproval
from o2c_invoicing.invoices.service import etag, get, issued_fact
from o2c_invoicing.invoices.totals import due_date_for


async def locked(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                 precondition: Precondition | None, action: str) -> Invoice:
    invoice = await get(session, invoice_id=invoice_id, principal=principal, for_update=True)
    if precondition is not None:
        precondition(etag(invoice))
    states.check(action, invoice.status)
    return invoice


async def move(session: AsyncSession, invoice: Invoice, *, to: str, actor: str, note: str | None = None,
               **history: object) -> None:
    """Set the status, flush (bumps the version) and append the history row."""
    before, now = invoice.status, datetime.now(UTC)
    invoice.status, invoice.status_since, invoice.stalled_notified_at = to, now, None
    await session.flush()
    await repository.add_history(session, invoice_id=invoice.id, from_status=before, to_status=to, actor=actor,
                                 note=note, at=now, **history)


def approvals_required(invoice: Invoice, settings: InvoicingSettings) -> int:
    return 2 if invoice.total_amount > settings.second_approval_above else 1


async def request_approval(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                           precondition: Precondition, note: str | None) -> Invoice:
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="request_approval")
    await move(session, invoice, to="pending_approval", actor=principal.subject, note=note)
    await record_audit(session, actor=principal, action="invoice.approval_requested", entity_type="invoice",
                       entity_id=invoice.id, reason=note)
    return invoice


async def approve(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                  precondition: Precondition, settings: InvoicingSettings, outbox: Outbox,
                  note: str | None) -> Invoice:
    """Maker-checker: the approver is never the preparer, and a second approval (above the limit) comes from
    someone other than the first approver. The last required approval moves the invoice to approved."""
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="approve")
    if principal.subject == invoice.created_by:
        raise MakerCheckerViolation("the preparer of an invoice may not approve it",
                                    extensions={"prepared_by": invoice.created_by})
    if any(a.approver == principal.subject for a in invoice.approvals):
        raise MakerCheckerViolation("a second approval must come from another approver",
                                    extensions={"approved_by": [a.approver for a in invoice.approvals]})
    invoice.approvals.append(InvoiceApproval(invoice_id=invoice.id, approver=principal.subject))
    required = approvals_required(invoice, settings)
    given = len(invoice.approvals)
    await record_audit(session, actor=principal, action="invoice.approval_given", entity_type="invoice",
                       entity_id=invoice.id, reason=note, after={"approvals": given, "required": required})
    if given < required:
        invoice.status_since = datetime.now(UTC)
        await session.flush()
        await repository.add_history(session, invoice_id=invoice.id, from_status=invoice.status,
                                     to_status=invoice.status, actor=principal.subject,
                                     note=f"approval {given} of {required}")
        return invoice
    await move(session, invoice, to="approved", actor=principal.subject, note=note)
    await outbox.emit(session, InvoiceApproved(
        invoice_id=invoice.id, legal_entity=invoice.legal_entity, customer_id=invoice.customer_id,
        currency=invoice.currency, amount=invoice.total_amount, prepared_by=invoice.created_by,
        approved_by=principal.subject, approvals=given, approved_at=datetime.now(UTC),
        owning_team=invoice.owning_team))
    return invoice


async def return_to_draft(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                          precondition: Precondition, reason: str) -> Invoice:
    """An approver sends the invoice back to its preparer; approvals given so far are withdrawn."""
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="return_to_draft")
    invoice.approvals.clear()
    await move(session, invoice, to="draft", actor=principal.subject, note=reason)
    await record_audit(session, actor=principal, action="invoice.returned_to_draft", entity_type="invoice",
                       entity_id=invoice.id, reason=reason)
    return invoice


async def issue(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                precondition: Precondition, outbox: Outbox) -> Invoice:
    """Post the approved invoice: it gets its number (taken last, so the sequence row is locked only for
    the rest of this short transaction), its issue and due dates, and becomes a receivable."""
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="issue")
    now = datetime.now(UTC)
    issue_date = invoice.requested_issue_date or now.date()
    invoice.issue_date = issue_date
    invoice.due_date = due_date_for(issue_date, terms=invoice.payment_terms, days=invoice.payment_terms_days)
    sequence = await repository.next_number(session, series=invoice.legal_entity, year=issue_date.year)
    invoice.number = f"{invoice.legal_entity}-{issue_date.year}-{sequence:06d}"
    await move(session, invoice, to="issued", actor=principal.subject)
    await record_audit(session, actor=principal, action="invoice.issued", entity_type="invoice",
                       entity_id=invoice.id, after={"number": invoice.number, "total": invoice.total_amount})
    await outbox.emit(session, issued_fact(invoice, issued_at=now))
    return invoice


async def cancel(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                 precondition: Precondition, outbox: Outbox, reason: str) -> Invoice:
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="cancel")
    previous = invoice.status
    await move(session, invoice, to="cancelled", actor=principal.subject, note=reason)
    await record_audit(session, actor=principal, action="invoice.cancelled", entity_type="invoice",
                       entity_id=invoice.id, reason=reason, before={"status": previous})
    await outbox.emit(session, InvoiceCancelled(
        invoice_id=invoice.id, legal_entity=invoice.legal_entity, customer_id=invoice.customer_id,
        currency=invoice.currency, amount=invoice.total_amount, previous_status=previous,
        reason=reason, cancelled_by=principal.subject, cancelled_at=datetime.now(UTC),
        owning_team=invoice.owning_team))
    return invoice
