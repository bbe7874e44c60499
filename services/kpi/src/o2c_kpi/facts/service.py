"""Facts taken from each event (docs/kpi.md, "Read models"). Pure: each function adds rows to the batch
of the unit of work; ``o2c_kpi.facts.repository`` writes them.

Rows carry keys derived from the business fact (invoice, application, credit note, deduction id), not from
the event envelope, so the same fact published twice still counts once.

AR moves only with ``receivable.changed``: collections' ledger is the truth, and kpi copies each of its entries
with the amount it posted (a credit capped at the open amount, a tolerance write-off, a dispute write-off…).
No other event moves AR here, so kpi never redoes the ledger's arithmetic.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from decimal import Decimal

from asyncpg.pgproto.pgproto import UUID as PgUUID

from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv
from o2c_kpi.facts.models import MovementKind, OpenItemKind
from o2c_kpi.facts.repository import Dims, FactBatch

HOUR_SECONDS = Decimal(3600)
DAY_SECONDS = Decimal(86400)
ZERO = Decimal(0)
LEDGER_NAMESPACE = uuid.UUID("1f0c6a52-4f7e-4d5b-9a8e-6b2f3c9d7e10")
_LEDGER_NAMESPACE_BYTES = LEDGER_NAMESPACE.bytes
LEDGER_KINDS: dict[col.LedgerEntryKind, MovementKind] = {
    "invoice": MovementKind.INVOICE, "payment": MovementKind.CASH, "reversal": MovementKind.UNAPPLIED,
    "credit_note": MovementKind.CREDIT_NOTE, "write_off": MovementKind.WRITE_OFF,
    "tolerance_write_off": MovementKind.TOLERANCE_WRITE_OFF}
"""The movement kind of each kind of ledger entry."""


def days_between(start: datetime, end: datetime) -> Decimal:
    return Decimal(str((end - start).total_seconds())) / DAY_SECONDS


def hours_between(start: datetime, end: datetime) -> Decimal:
    return Decimal(str((end - start).total_seconds())) / HOUR_SECONDS


def ledger_key(invoice_id: uuid.UUID) -> uuid.UUID:
    """The key of an invoice's ledger entries among the movements (with the entry's sequence as the line):
    ``uuid.uuid5(LEDGER_NAMESPACE, str(invoice_id))``, built without ``uuid.UUID``'s Python constructor (a fifth of
    kpi's handler time)."""
    digest = bytearray(hashlib.sha1(_LEDGER_NAMESPACE_BYTES + str(invoice_id).encode(), usedforsecurity=False).digest())
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    return PgUUID(bytes(digest[:16]))


def _movement(batch: FactBatch, key: uuid.UUID, line: int, *, invoice_id: uuid.UUID, kind: MovementKind,
              amount: Decimal, day: date, dims: Dims) -> None:
    batch.movements.append({
        "event_id": key, "line": line, "invoice_id": invoice_id, "customer_id": dims.customer_id or "",
        "legal_entity": dims.legal_entity or "", "currency": dims.currency or "", "kind": kind.value, "amount": amount,
        "effective_date": day})


def _open_item(batch: FactBatch, key: uuid.UUID, line: int, *, kind: OpenItemKind, item_id: object, dims: Dims,
               day: date, opened_date: date | None, amount: Decimal = ZERO, count: int = 0,
               agent: str | None = None) -> None:
    batch.open_items.append({
        "event_id": key, "line": line, "kind": kind.value, "item_id": item_id,  # text in JSON
        "legal_entity": dims.legal_entity or "", "currency": dims.currency or "", "customer_id": dims.customer_id or "",
        "owning_team": dims.owning_team or "",
        "agent": agent or "", "day": day, "opened_date": opened_date, "amount": amount, "count": count})


# --- invoicing ---------------------------------------------------------------------------------------------------

def record_invoice_issued(*, batch: FactBatch, fact: inv.InvoiceIssued) -> None:
    """On-time invoicing only: the receivable comes from the ledger's ``receivable.changed`` (kind invoice)."""
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    if fact.billing_deadline is not None:  # value: 1 when issued on or before the deadline
        on_time = Decimal(1) if fact.issue_date <= fact.billing_deadline else ZERO
        batch.count("invoices_with_deadline", dims, fact.issue_date, value=on_time)


def _invoice_dims(fact: inv._InvoiceFact) -> Dims:
    """Dimensions of a non-money invoice fact (counts and durations do not depend on a currency)."""
    return Dims(fact.legal_entity, None, fact.customer_id, fact.owning_team)


def record_invoice_approved(*, batch: FactBatch, fact: inv.InvoiceApproved) -> None:
    batch.milestone(fact.invoice_id, legal_entity=fact.legal_entity, customer_id=fact.customer_id,
                    owning_team=fact.owning_team, approved_at=fact.approved_at)


def record_invoice_submitted(*, batch: FactBatch, fact: inv.InvoiceSubmitted) -> None:
    batch.count("submissions", _invoice_dims(fact), fact.submitted_at.date(), dimension=fact.channel)
    batch.milestone(fact.invoice_id, legal_entity=fact.legal_entity, customer_id=fact.customer_id,
                    owning_team=fact.owning_team, submitted_at=fact.submitted_at)


def record_portal_rejection(*, batch: FactBatch, fact: inv.InvoicePortalRejected) -> None:
    dims, day = _invoice_dims(fact), fact.rejected_at.date()
    batch.count("rejections", dims, day, dimension=fact.reason)
    if fact.rejection_count == 1:
        batch.count("first_rejections", dims, day)
    _open_item(batch, fact.submission_id, 0, kind=OpenItemKind.PORTAL_REJECTION, item_id=fact.submission_id, dims=dims,
               day=day, opened_date=day, count=1)


def record_resubmission(*, batch: FactBatch, fact: inv.InvoiceResubmitted) -> None:
    dims, day = _invoice_dims(fact), fact.resubmitted_at.date()
    batch.count("resubmissions", dims, day, value=hours_between(fact.rejected_at, fact.resubmitted_at))
    _open_item(batch, fact.previous_submission_id, 1, kind=OpenItemKind.PORTAL_REJECTION,
               item_id=fact.previous_submission_id, dims=dims, day=day, opened_date=fact.rejected_at.date(), count=-1)


def record_portal_approval(*, batch: FactBatch, fact: inv.InvoicePortalApproved) -> None:
    dims, day = _invoice_dims(fact), fact.approved_at.date()
    batch.count("portal_approvals", dims, day)
    if fact.first_pass:
        batch.count("first_pass_approvals", dims, day)
    batch.milestone(fact.invoice_id, legal_entity=fact.legal_entity, customer_id=fact.customer_id,
                    owning_team=fact.owning_team, submitted_at=fact.submitted_at, accepted_at=fact.approved_at)


def record_invoice_paid(*, batch: FactBatch, fact: inv.InvoicePaid) -> None:
    if fact.source == "portal_reported":  # the customer's word, not cash: the invoice is not paid
        return
    batch.milestone(fact.invoice_id, legal_entity=fact.legal_entity, customer_id=fact.customer_id,
                    owning_team=fact.owning_team, paid_at=fact.paid_at)


def record_credit_note(*, batch: FactBatch, fact: inv.CreditNoteIssued) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.count("credit_notes", dims, fact.issue_date, dimension=fact.reason, value=fact.amount)


# --- collections -------------------------------------------------------------------------------------------------

def record_payment_received(*, batch: FactBatch, fact: col.PaymentReceived) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.count("cash_received", dims, fact.value_date, dimension=fact.source, value=fact.amount)
    _open_item(batch, fact.payment_id, 0, kind=OpenItemKind.UNAPPLIED_CASH, item_id=fact.payment_id, dims=dims,
               day=fact.value_date, opened_date=fact.value_date, amount=fact.amount)


def record_payment_applied(*, batch: FactBatch, event_id: uuid.UUID, fact: col.PaymentApplied) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    total = sum((a.amount for a in fact.applications), ZERO)
    batch.count("cash_applied", dims, fact.applied_date, dimension=fact.rule, value=total)
    _open_item(batch, event_id, 0, kind=OpenItemKind.UNAPPLIED_CASH, item_id=fact.payment_id, dims=dims,
               day=fact.applied_date, opened_date=fact.value_date, amount=-total)


def record_payment_unapplied(*, batch: FactBatch, event_id: uuid.UUID, fact: col.PaymentUnapplied) -> None:
    if fact.reason != "reversed":  # cash left unapplied on receipt is unapplied since payment.received
        return
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    for reversed_ in fact.reversed_applications:  # taken back from the rule that applied it (unknown: the engine's)
        batch.count("cash_applied", dims, fact.unapplied_date, dimension=reversed_.rule or "unknown",
                    value=-reversed_.amount, n=-1)
    _open_item(batch, event_id, 0, kind=OpenItemKind.UNAPPLIED_CASH, item_id=fact.payment_id, dims=dims,
               day=fact.unapplied_date, opened_date=None, amount=fact.amount)


def record_deduction_opened(*, batch: FactBatch, fact: col.DeductionOpened) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.count("deductions_opened", dims, fact.opened_date, dimension=fact.reason, value=fact.amount)
    _open_item(batch, fact.deduction_id, 0, kind=OpenItemKind.DEDUCTION, item_id=fact.deduction_id, dims=dims,
               day=fact.opened_date, opened_date=fact.opened_date, amount=fact.amount, count=1, agent=fact.owner)


def record_deduction_resolved(*, batch: FactBatch, fact: col.DeductionResolved) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.count("deductions_resolved", dims, fact.resolved_date, dimension=fact.resolution, value=fact.amount)
    _open_item(batch, fact.deduction_id, 1, kind=OpenItemKind.DEDUCTION, item_id=fact.deduction_id, dims=dims,
               day=fact.resolved_date, opened_date=fact.opened_date, amount=-fact.amount, count=-1)


def record_receivable_change(*, batch: FactBatch, fact: col.ReceivableChanged) -> None:
    """One AR ledger entry, copied as posted (kind, signed amount, date), keyed by invoice and sequence; the
    receivable's dimensions and due date with it. Write-offs are also counted by reason (tolerance, deduction,
    dispute…)."""
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.invoices.setdefault(fact.invoice_id, {
        "invoice_id": fact.invoice_id, "legal_entity": fact.legal_entity, "currency": fact.currency,
        "customer_id": fact.customer_id, "owning_team": fact.owning_team or "", "issue_date": fact.issue_date,
        "due_date": fact.due_date, "amount": fact.original_amount})
    kind = LEDGER_KINDS[fact.kind]
    _movement(batch, ledger_key(fact.invoice_id), fact.sequence, invoice_id=fact.invoice_id, kind=kind,
              amount=fact.amount, day=fact.effective_date, dims=dims)
    if kind in (MovementKind.WRITE_OFF, MovementKind.TOLERANCE_WRITE_OFF):
        reason = fact.reason or ("tolerance" if kind == MovementKind.TOLERANCE_WRITE_OFF else "manual")
        n = -1 if fact.amount > 0 else 1  # a write-off reversed with the application it came with: count taken back
        batch.count("write_offs", dims, fact.effective_date, dimension=reason, value=-fact.amount, n=n)


def record_dispute_opened(*, batch: FactBatch, fact: col.DisputeOpened) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.count("disputes_opened", dims, fact.opened_date, dimension=fact.reason, value=fact.amount)
    _open_item(batch, fact.dispute_id, 0, kind=OpenItemKind.DISPUTE, item_id=fact.dispute_id, dims=dims,
               day=fact.opened_date, opened_date=fact.opened_date, amount=fact.amount, count=1, agent=fact.owner)


def record_dispute_resolved(*, batch: FactBatch, fact: col.DisputeResolved) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    batch.count("disputes_resolved", dims, fact.resolved_date, dimension=fact.root_cause,
                value=days_between(fact.opened_at, fact.resolved_at))
    _open_item(batch, fact.dispute_id, 1, kind=OpenItemKind.DISPUTE, item_id=fact.dispute_id, dims=dims,
               day=fact.resolved_date, opened_date=fact.opened_at.date(), amount=-fact.amount, count=-1)


def record_promise(*, batch: FactBatch, fact: col.PromiseToPayKept | col.PromiseToPayBroken) -> None:
    dims = Dims(fact.legal_entity, fact.currency, fact.customer_id, fact.owning_team)
    if isinstance(fact, col.PromiseToPayKept):
        batch.count("promises_kept", dims, fact.kept_date, value=fact.amount)
    else:
        batch.count("promises_broken", dims, fact.promised_date, value=fact.amount)


# --- escalation --------------------------------------------------------------------------------------------------

def _case_dims(fact: esc._CaseFact) -> Dims:
    return Dims(fact.legal_entity, None, fact.customer_id, fact.owning_team)


def record_escalation_opened(*, batch: FactBatch, fact: esc.EscalationOpened) -> None:
    day = fact.opened_at.date()
    batch.count("escalations_opened", _case_dims(fact), day, dimension=fact.severity)
    _open_item(batch, fact.case_id, 0, kind=OpenItemKind.ESCALATION, item_id=fact.case_id, dims=_case_dims(fact),
               day=day, opened_date=day, count=1, agent=fact.assignee)


def record_escalation_acknowledged(*, batch: FactBatch, fact: esc.EscalationAcknowledged) -> None:
    day = fact.acknowledged_at.date()
    batch.count("escalations_acknowledged", _case_dims(fact), day,
                value=Decimal(fact.business_minutes_to_acknowledge))
    if fact.within_sla:
        batch.count("escalations_acknowledged_within_sla", _case_dims(fact), day)


def record_escalation_resolved(*, batch: FactBatch, fact: esc.EscalationResolved) -> None:
    day = fact.resolved_at.date()
    batch.count("escalations_resolved", _case_dims(fact), day, value=Decimal(fact.business_minutes_to_resolve))
    if fact.within_sla:
        batch.count("escalations_resolved_within_sla", _case_dims(fact), day)
    # the work item closes: line 1, or 1 + 2n after the n-th reopening (each movement once, whatever the redelivery)
    _open_item(batch, fact.case_id, 1 + 2 * fact.reopened_count, kind=OpenItemKind.ESCALATION, item_id=fact.case_id,
               dims=_case_dims(fact), day=day, opened_date=fact.opened_at.date(), count=-1)


def record_escalation_reopened(*, batch: FactBatch, fact: esc.EscalationReopened) -> None:
    """Open work again from the day it was reopened, aged from the case's opening."""
    _open_item(batch, fact.case_id, 2 * fact.reopened_count, kind=OpenItemKind.ESCALATION, item_id=fact.case_id,
               dims=_case_dims(fact), day=fact.reopened_at.date(), opened_date=fact.opened_at.date(), count=1,
               agent=fact.assignee)
