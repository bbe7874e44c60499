"""Work from other services' events: what arrived in each queue and which agent completed it. A completion is
checked against the agent's training (untrained work is flagged) and offered to quality sampling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from o2c_common.events import Event
from o2c_common.events.contracts.collections import DisputeOpened, DisputeResolved, PaymentApplied, PaymentReceived
from o2c_common.events.contracts.collections_terms import HISTORY_IMPORT
from o2c_common.events.contracts.escalation import EscalationOpened, EscalationResolved
from o2c_common.events.contracts.invoicing import (
    InvoiceApproved,
    InvoiceIssued,
    InvoicePortalApproved,
    InvoicePortalRejected,
    InvoiceResubmitted,
    InvoiceSubmitted,
)
from o2c_common.events.contracts.kpi import SlaBreached
from o2c_common.inbox import Batched, Handlers
from o2c_common.tx import Tx
from o2c_workforce.contingency.handlers import (
    on_escalation_opened_invoke_contingency,
    on_sla_breached_invoke_contingency,
)
from o2c_workforce.org.service import agents_for_subjects
from o2c_workforce.processes import Process
from o2c_workforce.quality.models import SamplingRule
from o2c_workforce.quality.service import maybe_sample, sampling_rules
from o2c_workforce.training.service import check_trained
from o2c_workforce.work import service as work
from o2c_workforce.work.service import Arrival, Completion

ACTOR = "system:workforce"


async def record(tx: Tx, done: Completion) -> None:
    await record_many(tx, [done])


async def record_many(tx: Tx, done: Sequence[Completion]) -> None:
    """The completions, and what follows from each once: the training check and quality sampling (the agents and
    each process's sampling rules read once for all of them)."""
    tx = tx.acting_as(ACTOR)
    completed = [(one, item) for one, item in await work.completed(tx, done) if one.agent is not None]
    agents = await agents_for_subjects(tx, {one.agent for one, _ in completed if one.agent})
    rules: dict[str, list[SamplingRule]] = {}
    for one, item in completed:
        agent = agents.get(one.agent or "")
        if agent is not None:
            await check_trained(tx, agent, process=one.process, item_key=one.item_key, at=one.at)
        if item.process not in rules:
            rules[item.process] = await sampling_rules(tx, process=item.process)
        await maybe_sample(tx, item, agent, rules[item.process])


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


async def on_invoice_approved_record_preparation(tx: Tx, event: Event[InvoiceApproved]) -> None:
    e = event.data
    await record(tx, Completion(Process.INVOICE_PREPARATION, str(e.invoice_id), e.prepared_by, e.owning_team,
                                e.approved_at))


async def on_invoices_issued_queue_submissions(tx: Tx, events: Sequence[Event[InvoiceIssued]]) -> None:
    """Each issued invoice waits for its submission; imported history was submitted elsewhere, long ago."""
    await work.arrived_many(tx, [Arrival(Process.INVOICE_SUBMISSION, str(e.data.invoice_id), e.data.owning_team,
                                         e.data.issued_at) for e in events if not e.data.historical])


async def on_invoice_submitted_record_submission(tx: Tx, event: Event[InvoiceSubmitted]) -> None:
    e = event.data
    await record(tx, Completion(Process.INVOICE_SUBMISSION, str(e.invoice_id), e.submitted_by, e.owning_team,
                                e.submitted_at))


async def on_invoice_rejected_queue_resubmission(tx: Tx, event: Event[InvoicePortalRejected]) -> None:
    e = event.data
    await work.arrived(tx, process=Process.INVOICE_SUBMISSION, item_key=f"{e.invoice_id}:{e.attempt + 1}",
                       team=e.owning_team, at=e.rejected_at)
    if e.attempt == 1:
        await work.portal_verdict(tx, invoice_id=e.invoice_id, accepted=False, reason=e.reason, at=e.rejected_at)


async def on_invoice_resubmitted_record_resubmission(tx: Tx, event: Event[InvoiceResubmitted]) -> None:
    e = event.data
    await record(tx, Completion(Process.INVOICE_SUBMISSION, f"{e.invoice_id}:{e.attempt}", e.resubmitted_by,
                                e.owning_team, e.resubmitted_at, _minutes(e.rejected_at, e.resubmitted_at)))


async def on_invoice_portal_approved_record_first_pass(tx: Tx, event: Event[InvoicePortalApproved]) -> None:
    e = event.data
    if e.first_pass:
        await work.portal_verdict(tx, invoice_id=e.invoice_id, accepted=True, reason=None, at=e.approved_at)


async def on_payments_received_queue_applications(tx: Tx, events: Sequence[Event[PaymentReceived]]) -> None:
    """Each payment waits for its application; imported history was applied elsewhere, long ago."""
    await work.arrived_many(tx, [Arrival(Process.CASH_APPLICATION, str(e.data.payment_id), e.data.owning_team,
                                         e.data.received_at) for e in events if e.data.source != HISTORY_IMPORT])


async def on_payments_applied_record_applications(tx: Tx, events: Sequence[Event[PaymentApplied]]) -> None:
    await record_many(tx, [Completion(Process.CASH_APPLICATION, str(e.data.payment_id), e.data.applied_by,
                                      e.data.owning_team, e.data.applied_at) for e in events if not e.data.historical])


async def on_dispute_opened_queue_dispute(tx: Tx, event: Event[DisputeOpened]) -> None:
    e = event.data
    await work.arrived(tx, process=Process.DISPUTE_RESOLUTION, item_key=str(e.dispute_id), team=e.owning_team,
                       at=e.opened_at)


async def on_dispute_resolved_record_resolution(tx: Tx, event: Event[DisputeResolved]) -> None:
    e = event.data
    await record(tx, Completion(Process.DISPUTE_RESOLUTION, str(e.dispute_id), e.resolved_by, e.owning_team,
                                e.resolved_at, _minutes(e.opened_at, e.resolved_at)))


async def on_escalation_opened_queue_case(tx: Tx, event: Event[EscalationOpened]) -> None:
    e = event.data
    await work.arrived(tx, process=Process.CASE_HANDLING, item_key=str(e.case_id), team=e.owning_team,
                       at=e.opened_at)
    await on_escalation_opened_invoke_contingency(tx.acting_as(ACTOR), event)


async def on_escalation_resolved_record_case(tx: Tx, event: Event[EscalationResolved]) -> None:
    e = event.data
    await record(tx, Completion(Process.CASE_HANDLING, str(e.case_id), e.resolved_by, e.owning_team, e.resolved_at,
                                e.business_minutes_to_resolve))


async def on_sla_breached_invoke_plans(tx: Tx, event: Event[SlaBreached]) -> None:
    await on_sla_breached_invoke_contingency(tx.acting_as(ACTOR), event)


HANDLERS: Handlers = {
    InvoiceApproved: on_invoice_approved_record_preparation,
    InvoiceIssued: Batched(on_invoices_issued_queue_submissions, history=False),
    InvoiceSubmitted: on_invoice_submitted_record_submission,
    InvoicePortalRejected: on_invoice_rejected_queue_resubmission,
    InvoiceResubmitted: on_invoice_resubmitted_record_resubmission,
    InvoicePortalApproved: on_invoice_portal_approved_record_first_pass,
    PaymentReceived: Batched(on_payments_received_queue_applications, history=False),
    PaymentApplied: Batched(on_payments_applied_record_applications, history=False),
    DisputeOpened: on_dispute_opened_queue_dispute,
    DisputeResolved: on_dispute_resolved_record_resolution,
    EscalationOpened: on_escalation_opened_queue_case,
    EscalationResolved: on_escalation_resolved_record_case,
    SlaBreached: on_sla_breached_invoke_plans,
}
"""The service's one handler map: event payload type → handler."""
