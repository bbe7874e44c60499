"""Consumer group ``kpi``: every event that feeds a KPI, turned into read-model facts gathered in the unit of
work's :class:`~o2c_kpi.facts.repository.FactBatch` (written in one statement per table when it is flushed).

The hottest types (invoice issued, receivable changed, payment received and applied) have batch handlers: one call
per type and partition batch (``o2c_common.inbox.Batched``) instead of one per event."""

from __future__ import annotations

from collections.abc import Sequence

from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv
from o2c_common.inbox import Batched, Handlers
from o2c_common.tx import Tx
from o2c_kpi.facts import service
from o2c_kpi.facts.repository import FactBatch

# --- invoicing ---------------------------------------------------------------------------------------------------

async def on_invoices_issued_count_on_time(tx: Tx, events: Sequence[Event[inv.InvoiceIssued]]) -> None:
    batch = tx.batch(FactBatch)
    for event in events:
        service.record_invoice_issued(batch=batch, fact=event.data)


async def on_invoice_approved_start_cycle(tx: Tx, event: Event[inv.InvoiceApproved]) -> None:
    service.record_invoice_approved(batch=tx.batch(FactBatch), fact=event.data)


async def on_invoice_submitted_count_submission(tx: Tx, event: Event[inv.InvoiceSubmitted]) -> None:
    service.record_invoice_submitted(batch=tx.batch(FactBatch), fact=event.data)


async def on_portal_rejection_count_reason_and_open_work_item(
        tx: Tx, event: Event[inv.InvoicePortalRejected]) -> None:
    service.record_portal_rejection(batch=tx.batch(FactBatch), fact=event.data)


async def on_resubmission_record_time_to_resubmit(tx: Tx, event: Event[inv.InvoiceResubmitted]) -> None:
    service.record_resubmission(batch=tx.batch(FactBatch), fact=event.data)


async def on_portal_approval_count_acceptance(tx: Tx, event: Event[inv.InvoicePortalApproved]) -> None:
    service.record_portal_approval(batch=tx.batch(FactBatch), fact=event.data)


async def on_invoice_paid_close_cycle(tx: Tx, event: Event[inv.InvoicePaid]) -> None:
    service.record_invoice_paid(batch=tx.batch(FactBatch), fact=event.data)


async def on_credit_note_issued_count_credit(tx: Tx, event: Event[inv.CreditNoteIssued]) -> None:
    service.record_credit_note(batch=tx.batch(FactBatch), fact=event.data)


# --- collections -------------------------------------------------------------------------------------------------

async def on_receivables_changed_move_ar(tx: Tx, events: Sequence[Event[col.ReceivableChanged]]) -> None:
    """The only way AR moves in kpi: a copy of the ledger entries collections posted."""
    batch = tx.batch(FactBatch)
    for event in events:
        service.record_receivable_change(batch=batch, fact=event.data)


async def on_payments_received_add_unapplied_cash(tx: Tx, events: Sequence[Event[col.PaymentReceived]]) -> None:
    batch = tx.batch(FactBatch)
    for event in events:
        service.record_payment_received(batch=batch, fact=event.data)


async def on_payments_applied_count_cash_applied(tx: Tx, events: Sequence[Event[col.PaymentApplied]]) -> None:
    batch = tx.batch(FactBatch)
    for event in events:
        service.record_payment_applied(batch=batch, fact=event.data, event_id=event.id)


async def on_payment_unapplied_restore_unapplied_cash(tx: Tx, event: Event[col.PaymentUnapplied]) -> None:
    service.record_payment_unapplied(batch=tx.batch(FactBatch), fact=event.data, event_id=event.id)


async def on_deduction_opened_add_open_deduction(tx: Tx, event: Event[col.DeductionOpened]) -> None:
    service.record_deduction_opened(batch=tx.batch(FactBatch), fact=event.data)


async def on_deduction_resolved_close_deduction(tx: Tx, event: Event[col.DeductionResolved]) -> None:
    service.record_deduction_resolved(batch=tx.batch(FactBatch), fact=event.data)


async def on_dispute_opened_add_open_dispute(tx: Tx, event: Event[col.DisputeOpened]) -> None:
    service.record_dispute_opened(batch=tx.batch(FactBatch), fact=event.data)


async def on_dispute_resolved_record_resolution_time(tx: Tx, event: Event[col.DisputeResolved]) -> None:
    service.record_dispute_resolved(batch=tx.batch(FactBatch), fact=event.data)


async def on_promise_decided_count_kept_or_broken(
        tx: Tx, event: Event[col.PromiseToPayKept | col.PromiseToPayBroken]) -> None:
    service.record_promise(batch=tx.batch(FactBatch), fact=event.data)


# --- escalation --------------------------------------------------------------------------------------------------

async def on_escalation_opened_add_work_item(tx: Tx, event: Event[esc.EscalationOpened]) -> None:
    service.record_escalation_opened(batch=tx.batch(FactBatch), fact=event.data)


async def on_escalation_acknowledged_record_ack_time(tx: Tx, event: Event[esc.EscalationAcknowledged]) -> None:
    service.record_escalation_acknowledged(batch=tx.batch(FactBatch), fact=event.data)


async def on_escalation_resolved_record_resolve_time(tx: Tx, event: Event[esc.EscalationResolved]) -> None:
    service.record_escalation_resolved(batch=tx.batch(FactBatch), fact=event.data)


async def on_escalation_reopened_reopen_work_item(tx: Tx, event: Event[esc.EscalationReopened]) -> None:
    service.record_escalation_reopened(batch=tx.batch(FactBatch), fact=event.data)


HANDLERS: Handlers = {
    inv.InvoiceIssued: Batched(on_invoices_issued_count_on_time),
    inv.InvoiceApproved: on_invoice_approved_start_cycle,
    inv.InvoiceSubmitted: on_invoice_submitted_count_submission,
    inv.InvoicePortalRejected: on_portal_rejection_count_reason_and_open_work_item,
    inv.InvoiceResubmitted: on_resubmission_record_time_to_resubmit,
    inv.InvoicePortalApproved: on_portal_approval_count_acceptance,
    inv.InvoicePaid: on_invoice_paid_close_cycle,
    inv.CreditNoteIssued: on_credit_note_issued_count_credit,
    col.ReceivableChanged: Batched(on_receivables_changed_move_ar),
    col.PaymentReceived: Batched(on_payments_received_add_unapplied_cash),
    col.PaymentApplied: Batched(on_payments_applied_count_cash_applied),
    col.PaymentUnapplied: on_payment_unapplied_restore_unapplied_cash,
    col.DeductionOpened: on_deduction_opened_add_open_deduction,
    col.DeductionResolved: on_deduction_resolved_close_deduction,
    col.DisputeOpened: on_dispute_opened_add_open_dispute,
    col.DisputeResolved: on_dispute_resolved_record_resolution_time,
    col.PromiseToPayKept: on_promise_decided_count_kept_or_broken,
    col.PromiseToPayBroken: on_promise_decided_count_kept_or_broken,
    esc.EscalationOpened: on_escalation_opened_add_work_item,
    esc.EscalationAcknowledged: on_escalation_acknowledged_record_ack_time,
    esc.EscalationResolved: on_escalation_resolved_record_resolve_time,
    esc.EscalationReopened: on_escalation_reopened_reopen_work_item,
}
