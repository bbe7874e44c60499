"""Draft → pending_approval → approved → issued, with maker-checker, cancel before issue, and settlement by cash.

A transition's router locks the invoice row (:func:`service.lock`, ``FOR UPDATE``) and checks the caller's
``If-Match`` against the locked version; the verb here checks the state machine, then changes state, history,
audit and outbox in the request's transaction.
"""

from __future__ import annotations

from decimal import Decimal

from o2c_common.events.contracts.collections import PaymentApplied
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceCancelled, InvoicePaid
from o2c_common.tx import Tx
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import repository, states
from o2c_invoicing.invoices.errors import MakerCheckerViolation
from o2c_invoicing.invoices.models import Invoice, InvoiceApproval
from o2c_invoicing.invoices.service import issued_fact
from o2c_invoicing.invoices.states import OPEN_AFTER_ISSUE, InvoiceStatus
from o2c_invoicing.invoices.totals import due_date_for


async def move(tx: Tx, invoice: Invoice, *, to: InvoiceStatus, note: str | None = None, **history: object) -> None:
    """Set the status, flush (bumps the version) and append the history row, by the transaction's actor."""
    before, now = invoice.status, tx.now()
    invoice.status, invoice.status_since, invoice.stalled_notified_at = to, now, None
    await repository.flush(tx.session)
    await repository.add_history(tx.session, invoice_id=invoice.id, from_status=before, to_status=to,
                                 actor=tx.actor.subject, note=note, at=now, **history)


def approvals_required(invoice: Invoice, settings: InvoicingSettings) -> int:
    return 2 if invoice.total_amount > settings.second_approval_above else 1


async def request_approval(tx: Tx, invoice: Invoice, *, note: str | None) -> Invoice:
    states.check("request_approval", invoice.status)
    await move(tx, invoice, to=InvoiceStatus.PENDING_APPROVAL, note=note)
    await tx.audit("invoice.approval_requested", entity_type="invoice", entity_id=invoice.id, reason=note)
    return invoice


def _check_maker_checker(invoice: Invoice, approver: str) -> None:
    """The approver is never the preparer, and a second approval (above the limit) comes from someone other
    than the first approver."""
    if approver == invoice.created_by:
        raise MakerCheckerViolation("the preparer of an invoice may not approve it",
                                    extensions={"prepared_by": invoice.created_by})
    if any(a.approver == approver for a in invoice.approvals):
        raise MakerCheckerViolation("a second approval must come from another approver",
                                    extensions={"approved_by": [a.approver for a in invoice.approvals]})


async def approve(tx: Tx, invoice: Invoice, *, settings: InvoicingSettings, note: str | None) -> Invoice:
    """Maker-checker approval; the last required approval moves the invoice to approved."""
    states.check("approve", invoice.status)
    approver = tx.actor.subject
    _check_maker_checker(invoice, approver)
    invoice.approvals.append(InvoiceApproval(invoice_id=invoice.id, approver=approver))
    required = approvals_required(invoice, settings)
    given = len(invoice.approvals)
    await tx.audit("invoice.approval_given", entity_type="invoice", entity_id=invoice.id, reason=note,
                   after={"approvals": given, "required": required})
    if given < required:
        invoice.status_since = tx.now()
        await repository.flush(tx.session)
        await repository.add_history(tx.session, invoice_id=invoice.id, from_status=invoice.status,
                                     to_status=invoice.status, actor=approver, note=f"approval {given} of {required}")
        return invoice
    await move(tx, invoice, to=InvoiceStatus.APPROVED, note=note)
    await tx.emit(InvoiceApproved(
        invoice_id=invoice.id, legal_entity=invoice.legal_entity, customer_id=invoice.customer_id,
        currency=invoice.currency, amount=invoice.total_amount, prepared_by=invoice.created_by,
        approved_by=approver, approvals=given, approved_at=tx.now(), owning_team=invoice.owning_team))
    return invoice


async def return_to_draft(tx: Tx, invoice: Invoice, *, reason: str) -> Invoice:
    """An approver sends the invoice back to its preparer; approvals given so far are withdrawn."""
    states.check("return_to_draft", invoice.status)
    invoice.approvals.clear()
    await move(tx, invoice, to=InvoiceStatus.DRAFT, note=reason)
    await tx.audit("invoice.returned_to_draft", entity_type="invoice", entity_id=invoice.id, reason=reason)
    return invoice


async def issue(tx: Tx, invoice: Invoice) -> Invoice:
    """Post the approved invoice: it gets its number (taken last, so the sequence row is locked only for
    the rest of this short transaction), its issue and due dates, and becomes a receivable."""
    states.check("issue", invoice.status)
    now = tx.now()
    issue_date = invoice.requested_issue_date or now.date()
    invoice.issue_date = issue_date
    invoice.due_date = due_date_for(issue_date, terms=invoice.payment_terms, days=invoice.payment_terms_days)
    sequence = await repository.next_number(tx.session, series=invoice.legal_entity, year=issue_date.year)
    invoice.number = f"{invoice.legal_entity}-{issue_date.year}-{sequence:06d}"
    await move(tx, invoice, to=InvoiceStatus.ISSUED)
    await tx.audit("invoice.issued", entity_type="invoice", entity_id=invoice.id,
                   after={"number": invoice.number, "total": invoice.total_amount})
    await tx.emit(issued_fact(invoice, issued_at=now))
    return invoice


async def cancel(tx: Tx, invoice: Invoice, *, reason: str) -> Invoice:
    states.check("cancel", invoice.status)
    previous = invoice.status
    await move(tx, invoice, to=InvoiceStatus.CANCELLED, note=reason)
    await tx.audit("invoice.cancelled", entity_type="invoice", entity_id=invoice.id, reason=reason,
                   before={"status": previous})
    await tx.emit(InvoiceCancelled(
        invoice_id=invoice.id, legal_entity=invoice.legal_entity, customer_id=invoice.customer_id,
        currency=invoice.currency, amount=invoice.total_amount, previous_status=previous,
        reason=reason, cancelled_by=tx.actor.subject, cancelled_at=tx.now(), owning_team=invoice.owning_team))
    return invoice


async def apply_payment(tx: Tx, fact: PaymentApplied) -> None:
    """Cash applied by collections: each application counted once (a settlement row per application id); an
    issued invoice with nothing left open is paid (``invoice.paid``). Invoices not stored here are skipped
    (imported history, another system's invoice)."""
    for application in fact.applications:
        invoice = await repository.get(tx.session, invoice_id=application.invoice_id, for_update=True)
        if invoice is None or not await repository.add_settlement(
                tx.session, application_id=application.application_id, invoice_id=application.invoice_id,
                payment_id=fact.payment_id, amount=application.amount, applied_date=fact.applied_date):
            continue  # not ours, or this application was counted already
        invoice.paid_amount += application.amount
        await tx.audit("invoice.cash_applied", entity_type="invoice", entity_id=invoice.id,
                       after={"payment_id": fact.payment_id, "amount": application.amount})
        if invoice.status in OPEN_AFTER_ISSUE and invoice.open_amount <= Decimal(0):
            await move(tx, invoice, to=InvoiceStatus.PAID, note=f"payment {fact.payment_id}")
            assert invoice.number is not None
            await tx.emit(InvoicePaid(
                invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
                customer_id=invoice.customer_id, owning_team=invoice.owning_team, currency=invoice.currency,
                amount=invoice.total_amount, paid_date=fact.applied_date, paid_at=tx.now(),
                source="cash_applied", payment_ids=(fact.payment_id,)))
        else:
            await repository.flush(tx.session)
