"""The ``kpi-sla`` consumer group: SLA outcomes and timers taken straight from the events (no other table
of this service is read), so SLA evaluation does not depend on the KPI read models.

Timer handlers count business days without the configured holidays: :func:`handlers` binds them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from functools import partial

from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.collections import (
    DeductionOpened,
    DeductionResolved,
    DisputeOpened,
    DisputeResolved,
    PromiseToPayBroken,
    PromiseToPayKept,
)
from o2c_common.events.contracts.escalation import EscalationAcknowledged, EscalationResolved
from o2c_common.events.contracts.invoicing import (
    InvoiceCancelled,
    InvoicePortalApproved,
    InvoicePortalRejected,
    InvoiceResubmitted,
)
from o2c_common.inbox import Handlers
from o2c_common.tx import Tx
from o2c_kpi.sla import evaluation, timers
from o2c_kpi.sla.evaluation import Scopes

CONSUMER_GROUP = "kpi-sla"
Holidays = Collection[date]


def _scopes(fact: object) -> Scopes:
    return Scopes(owning_team=getattr(fact, "owning_team", None), legal_entity=getattr(fact, "legal_entity", None),
                  customer_id=getattr(fact, "customer_id", None))


async def _outcome(tx: Tx, event: Event[EventPayload], *, metric: str, occurred_at: datetime, met: bool) -> None:
    await evaluation.record_outcome(tx, metric=metric, event_id=event.id, occurred_at=occurred_at, met=met,
                                    scopes=_scopes(event.data))


async def on_invoice_approved_count_first_pass(tx: Tx, event: Event[InvoicePortalApproved]) -> None:
    fact = event.data
    if fact.first_pass:  # an approval after a rejection was counted as missed at its first rejection
        await _outcome(tx, event, metric="first_pass_acceptance_rate", occurred_at=fact.approved_at, met=True)


async def on_invoice_rejected_count_first_pass_and_arm_resubmit_timer(
        tx: Tx, event: Event[InvoicePortalRejected], *, holidays: Holidays = ()) -> None:
    fact = event.data
    if fact.rejection_count == 1:
        await _outcome(tx, event, metric="first_pass_acceptance_rate", occurred_at=fact.rejected_at, met=False)
    await timers.arm(tx, metric="time_to_resubmit", subject_type="invoice", subject_id=str(fact.invoice_id),
                     subject_key=f"submission:{fact.submission_id}", opened_at=fact.rejected_at,
                     scopes=_scopes(fact), holidays=holidays)


async def on_invoice_resubmitted_stop_resubmit_timer(tx: Tx, event: Event[InvoiceResubmitted], *,
                                                     holidays: Holidays = ()) -> None:
    fact = event.data
    await timers.close(tx, metric="time_to_resubmit", subject_type="invoice", subject_id=str(fact.invoice_id),
                       subject_key=f"submission:{fact.previous_submission_id}", closed_at=fact.resubmitted_at,
                       scopes=_scopes(fact), holidays=holidays)


async def on_invoice_cancelled_cancel_its_timers(tx: Tx, event: Event[InvoiceCancelled]) -> None:
    fact = event.data
    await timers.cancel(tx, subject_type="invoice", subject_id=str(fact.invoice_id), at=fact.cancelled_at)


async def on_dispute_opened_arm_resolution_timer(tx: Tx, event: Event[DisputeOpened], *,
                                                 holidays: Holidays = ()) -> None:
    fact = event.data
    await _resolution_timer(tx, kind="dispute", item_id=fact.dispute_id, at=fact.opened_at, fact=fact, opens=True,
                            holidays=holidays)


async def on_dispute_resolved_stop_resolution_timer(tx: Tx, event: Event[DisputeResolved], *,
                                                    holidays: Holidays = ()) -> None:
    fact = event.data
    await _resolution_timer(tx, kind="dispute", item_id=fact.dispute_id, at=fact.resolved_at, fact=fact, opens=False,
                            holidays=holidays)


async def on_deduction_opened_arm_resolution_timer(tx: Tx, event: Event[DeductionOpened], *,
                                                   holidays: Holidays = ()) -> None:
    fact = event.data
    await _resolution_timer(tx, kind="deduction", item_id=fact.deduction_id, at=fact.opened_at, fact=fact,
                            opens=True, holidays=holidays)


async def on_deduction_resolved_stop_resolution_timer(tx: Tx, event: Event[DeductionResolved], *,
                                                      holidays: Holidays = ()) -> None:
    fact = event.data
    await _resolution_timer(tx, kind="deduction", item_id=fact.deduction_id, at=fact.resolved_at, fact=fact,
                            opens=False, holidays=holidays)


async def _resolution_timer(tx: Tx, *, kind: str, item_id: uuid.UUID, at: datetime, fact: object, opens: bool,
                            holidays: Holidays) -> None:
    """A dispute's or deduction's resolution-time timer: armed when it opens, stopped when it is resolved."""
    metric, subject_id, subject_key = f"{kind}_resolution_time", str(item_id), f"{kind}:{item_id}"
    if opens:
        await timers.arm(tx, metric=metric, subject_type=kind, subject_id=subject_id, subject_key=subject_key,
                         opened_at=at, scopes=_scopes(fact), holidays=holidays)
    else:
        await timers.close(tx, metric=metric, subject_type=kind, subject_id=subject_id, subject_key=subject_key,
                           closed_at=at, scopes=_scopes(fact), holidays=holidays)


async def on_escalation_acknowledged_count_within_sla(tx: Tx, event: Event[EscalationAcknowledged]) -> None:
    await _outcome(tx, event, metric="escalation_acknowledged_within_sla_rate",
                   occurred_at=event.data.acknowledged_at, met=event.data.within_sla)


async def on_escalation_resolved_count_within_sla(tx: Tx, event: Event[EscalationResolved]) -> None:
    await _outcome(tx, event, metric="escalation_resolved_within_sla_rate", occurred_at=event.data.resolved_at,
                   met=event.data.within_sla)


async def on_promise_decided_count_kept(tx: Tx, event: Event[PromiseToPayKept | PromiseToPayBroken]) -> None:
    await _outcome(tx, event, metric="promise_to_pay_kept_rate", occurred_at=event.data.decided_at,
                   met=isinstance(event.data, PromiseToPayKept))


def handlers(*, holidays: Holidays = ()) -> Handlers:
    """The ``kpi-sla`` group's handler of each event type; timers skip ``holidays`` (``KPI_SLA_HOLIDAYS``)."""
    return {
        InvoicePortalApproved: on_invoice_approved_count_first_pass,
        InvoicePortalRejected: partial(on_invoice_rejected_count_first_pass_and_arm_resubmit_timer,
                                       holidays=holidays),
        InvoiceResubmitted: partial(on_invoice_resubmitted_stop_resubmit_timer, holidays=holidays),
        InvoiceCancelled: on_invoice_cancelled_cancel_its_timers,
        DisputeOpened: partial(on_dispute_opened_arm_resolution_timer, holidays=holidays),
        DisputeResolved: partial(on_dispute_resolved_stop_resolution_timer, holidays=holidays),
        DeductionOpened: partial(on_deduction_opened_arm_resolution_timer, holidays=holidays),
        DeductionResolved: partial(on_deduction_resolved_stop_resolution_timer, holidays=holidays),
        EscalationAcknowledged: on_escalation_acknowledged_count_within_sla,
        EscalationResolved: on_escalation_resolved_count_within_sla,
        PromiseToPayKept: on_promise_decided_count_kept,
        PromiseToPayBroken: on_promise_decided_count_kept,
    }
