"""Consumer group ``kpi``: every event that feeds a KPI, turned into read-model facts gathered in the unit of
work's :class:`~o2c_kpi.facts.repository.FactBatch` (written in one statement per table when it is flushed).

Every handler only gathers facts (``o2c_common.inbox.Gathered``): the consumer gathers a fetch's facts, and builds
their statements' parameters, while the fetch before it is still being written; the fetch's own write is then its
inbox claim and the facts' statements. One call per type and partition batch instead of one per event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv
from o2c_common.inbox import Gathered, Handlers
from o2c_common.tx import Gathering
from o2c_kpi.facts import service
from o2c_kpi.facts.repository import FactBatch


def _each(rows: Gathering, events: Sequence[Event[Any]], record: Callable[..., None], *, with_id: bool = False) -> None:
    """``record`` each event's fact (and its id, for the facts keyed by event) into the unit of work's batch."""
    batch = rows.batch(FactBatch)
    for event in events:
        if with_id:
            record(batch=batch, fact=event.data, event_id=event.id)
        else:
            record(batch=batch, fact=event.data)


# --- invoicing ---------------------------------------------------------------------------------------------------

async def on_invoices_issued_count_on_time(rows: Gathering, events: Sequence[Event[inv.InvoiceIssued]]) -> None:
    _each(rows, events, service.record_invoice_issued)


async def on_invoice_approved_start_cycle(rows: Gathering, events: Sequence[Event[inv.InvoiceApproved]]) -> None:
    _each(rows, events, service.record_invoice_approved)


async def on_invoice_submitted_count_submission(rows: Gathering, events: Sequence[Event[inv.InvoiceSubmitted]]) -> None:
    _each(rows, events, service.record_invoice_submitted)


async def on_portal_rejection_count_reason_and_open_work_item(
        rows: Gathering, events: Sequence[Event[inv.InvoicePortalRejected]]) -> None:
    _each(rows, events, service.record_portal_rejection)


async def on_resubmission_record_time_to_resubmit(
        rows: Gathering, events: Sequence[Event[inv.InvoiceResubmitted]]) -> None:
    _each(rows, events, service.record_resubmission)


async def on_portal_approval_count_acceptance(
        rows: Gathering, events: Sequence[Event[inv.InvoicePortalApproved]]) -> None:
    _each(rows, events, service.record_portal_approval)


async def on_invoice_paid_close_cycle(rows: Gathering, events: Sequence[Event[inv.InvoicePaid]]) -> None:
    _each(rows, events, service.record_invoice_paid)


async def on_credit_note_issued_count_credit(rows: Gathering, events: Sequence[Event[inv.CreditNoteIssued]]) -> None:
    _each(rows, events, service.record_credit_note)


# --- collections -------------------------------------------------------------------------------------------------

async def on_receivables_changed_move_ar(rows: Gathering, events: Sequence[Event[col.ReceivableChanged]]) -> None:
    """The only way AR moves in kpi: a copy of the ledger entries collections posted."""
    _each(rows, events, service.record_receivable_change)


async def on_payments_received_add_unapplied_cash(
        rows: Gathering, events: Sequence[Event[col.PaymentReceived]]) -> None:
    _each(rows, events, service.record_payment_received)


async def on_payments_applied_count_cash_applied(rows: Gathering, events: Sequence[Event[col.PaymentApplied]]) -> None:
    _each(rows, events, service.record_payment_applied, with_id=True)


async def on_payment_unapplied_restore_unapplied_cash(
        rows: Gathering, events: Sequence[Event[col.PaymentUnapplied]]) -> None:
    _each(rows, events, service.record_payment_unapplied, with_id=True)


async def on_deduction_opened_add_open_deduction(rows: Gathering, events: Sequence[Event[col.DeductionOpened]]) -> None:
    _each(rows, events, service.record_deduction_opened)


async def on_deduction_resolved_close_deduction(
        rows: Gathering, events: Sequence[Event[col.DeductionResolved]]) -> None:
    _each(rows, events, service.record_deduction_resolved)


async def on_dispute_opened_add_open_dispute(rows: Gathering, events: Sequence[Event[col.DisputeOpened]]) -> None:
    _each(rows, events, service.record_dispute_opened)


async def on_dispute_resolved_record_resolution_time(
        rows: Gathering, events: Sequence[Event[col.DisputeResolved]]) -> None:
    _each(rows, events, service.record_dispute_resolved)


async def on_promise_decided_count_kept_or_broken(
        rows: Gathering, events: Sequence[Event[col.PromiseToPayKept | col.PromiseToPayBroken]]) -> None:
    _each(rows, events, service.record_promise)


# --- escalation --------------------------------------------------------------------------------------------------

async def on_escalation_opened_add_work_item(rows: Gathering, events: Sequence[Event[esc.EscalationOpened]]) -> None:
    _each(rows, events, service.record_escalation_opened)


async def on_escalation_acknowledged_record_ack_time(
        rows: Gathering, events: Sequence[Event[esc.EscalationAcknowledged]]) -> None:
    _each(rows, events, service.record_escalation_acknowledged)


async def on_escalation_resolved_record_resolve_time(
        rows: Gathering, events: Sequence[Event[esc.EscalationResolved]]) -> None:
    _each(rows, events, service.record_escalation_resolved)


async def on_escalation_reopened_reopen_work_item(
        rows: Gathering, events: Sequence[Event[esc.EscalationReopened]]) -> None:
    _each(rows, events, service.record_escalation_reopened)


HANDLERS: Handlers = {
    inv.InvoiceIssued: Gathered(on_invoices_issued_count_on_time),
    inv.InvoiceApproved: Gathered(on_invoice_approved_start_cycle),
    inv.InvoiceSubmitted: Gathered(on_invoice_submitted_count_submission),
    inv.InvoicePortalRejected: Gathered(on_portal_rejection_count_reason_and_open_work_item),
    inv.InvoiceResubmitted: Gathered(on_resubmission_record_time_to_resubmit),
    inv.InvoicePortalApproved: Gathered(on_portal_approval_count_acceptance),
    inv.InvoicePaid: Gathered(on_invoice_paid_close_cycle),
    inv.CreditNoteIssued: Gathered(on_credit_note_issued_count_credit),
    col.ReceivableChanged: Gathered(on_receivables_changed_move_ar),
    col.PaymentReceived: Gathered(on_payments_received_add_unapplied_cash),
    col.PaymentApplied: Gathered(on_payments_applied_count_cash_applied),
    col.PaymentUnapplied: Gathered(on_payment_unapplied_restore_unapplied_cash),
    col.DeductionOpened: Gathered(on_deduction_opened_add_open_deduction),
    col.DeductionResolved: Gathered(on_deduction_resolved_close_deduction),
    col.DisputeOpened: Gathered(on_dispute_opened_add_open_dispute),
    col.DisputeResolved: Gathered(on_dispute_resolved_record_resolution_time),
    col.PromiseToPayKept: Gathered(on_promise_decided_count_kept_or_broken),
    col.PromiseToPayBroken: Gathered(on_promise_decided_count_kept_or_broken),
    esc.EscalationOpened: Gathered(on_escalation_opened_add_work_item),
    esc.EscalationAcknowledged: Gathered(on_escalation_acknowledged_record_ack_time),
    esc.EscalationResolved: Gathered(on_escalation_resolved_record_resolve_time),
    esc.EscalationReopened: Gathered(on_escalation_reopened_reopen_work_item),
}
