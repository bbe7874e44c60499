"""Consumer group ``kpi``: every event that feeds a KPI, turned into read-model facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.events import Event
from o2c_common.events.contracts import collections as col
from o2c_common.events.contracts import escalation as esc
from o2c_common.events.contracts import invoicing as inv
from o2c_common.inbox import Handler, Handlers
from o2c_kpi.facts import service
from o2c_kpi.facts.repository import batch_for, write_now_if_nested


def _handler(record: Callable[..., None], *, with_event_id: bool = False) -> Handler:
    async def handle(session: AsyncSession, event: Event) -> None:
        extra: dict[str, Any] = {"event_id": event.id} if with_event_id else {}
        record(batch=batch_for(session), fact=event.data, **extra)
        await write_now_if_nested(session)

    handle.__name__ = handle.__qualname__ = record.__name__.replace("record_", "on_", 1)
    return handle


on_invoice_issued_add_credit_sale_and_receivable = _handler(service.record_invoice_issued)
on_invoice_approved_start_cycle = _handler(service.record_invoice_approved)
on_invoice_submitted_count_submission = _handler(service.record_invoice_submitted)
on_portal_rejection_count_reason_and_open_work_item = _handler(service.record_portal_rejection)
on_resubmission_record_time_to_resubmit = _handler(service.record_resubmission)
on_portal_approval_count_acceptance = _handler(service.record_portal_approval)
on_invoice_paid_close_cycle = _handler(service.record_invoice_paid)
on_credit_note_issued_reduce_receivable = _handler(service.record_credit_note)
on_payment_received_add_unapplied_cash = _handler(service.record_payment_received)
on_payment_applied_reduce_receivables = _handler(service.record_payment_applied, with_event_id=True)
on_payment_unapplied_restore_receivables = _handler(service.record_payment_unapplied, with_event_id=True)
on_deduction_opened_add_open_deduction = _handler(service.record_deduction_opened)
on_deduction_resolved_close_deduction = _handler(service.record_deduction_resolved)
on_dispute_opened_add_open_dispute = _handler(service.record_dispute_opened)
on_dispute_resolved_record_resolution_time = _handler(service.record_dispute_resolved)
on_promise_decided_count_kept_or_broken = _handler(service.record_promise)
on_escalation_opened_add_work_item = _handler(service.record_escalation_opened)
on_escalation_acknowledged_record_ack_time = _handler(service.record_escalation_acknowledged)
on_escalation_resolved_record_resolve_time = _handler(service.record_escalation_resolved)

HANDLERS: Handlers = {
    inv.InvoiceIssued: on_invoice_issued_add_credit_sale_and_receivable,
    inv.InvoiceApproved: on_invoice_approved_start_cycle,
    inv.InvoiceSubmitted: on_invoice_submitted_count_submission,
    inv.InvoicePortalRejected: on_portal_rejection_count_reason_and_open_work_item,
    inv.InvoiceResubmitted: on_resubmission_record_time_to_resubmit,
    inv.InvoicePortalApproved: on_portal_approval_count_acceptance,
    inv.InvoicePaid: on_invoice_paid_close_cycle,
    inv.CreditNoteIssued: on_credit_note_issued_reduce_receivable,
    col.PaymentReceived: on_payment_received_add_unapplied_cash,
    col.PaymentApplied: on_payment_applied_reduce_receivables,
    col.PaymentUnapplied: on_payment_unapplied_restore_receivables,
    col.DeductionOpened: on_deduction_opened_add_open_deduction,
    col.DeductionResolved: on_deduction_resolved_close_deduction,
    col.DisputeOpened: on_dispute_opened_add_open_dispute,
    col.DisputeResolved: on_dispute_resolved_record_resolution_time,
    col.PromiseToPayKept: on_promise_decided_count_kept_or_broken,
    col.PromiseToPayBroken: on_promise_decided_count_kept_or_broken,
    esc.EscalationOpened: on_escalation_opened_add_work_item,
    esc.EscalationAcknowledged: on_escalation_acknowledged_record_ack_time,
    esc.EscalationResolved: on_escalation_resolved_record_resolve_time,
}
