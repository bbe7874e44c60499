"""The ``kpi-sla`` consumer group: SLA outcomes and timers taken straight from the events (no other table
of this service is read), so SLA evaluation does not depend on the KPI read models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.events import Event
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
from o2c_common.outbox import Outbox
from o2c_kpi.sla import evaluation, timers
from o2c_kpi.sla.evaluation import Scopes

CONSUMER_GROUP = "kpi-sla"


def _scopes(fact: object) -> Scopes:
    return Scopes(owning_team=getattr(fact, "owning_team", None), legal_entity=getattr(fact, "legal_entity", None),
                  customer_id=getattr(fact, "customer_id", None))


@dataclass(frozen=True)
class SlaHandlers:
    outbox: Outbox
    holidays: tuple[date, ...] = ()

    def handlers(self) -> Handlers:
        return {
            InvoicePortalApproved: self.on_invoice_approved_count_first_pass,
            InvoicePortalRejected: self.on_invoice_rejected_count_first_pass_and_arm_resubmit_timer,
            InvoiceResubmitted: self.on_invoice_resubmitted_stop_resubmit_timer,
            InvoiceCancelled: self.on_invoice_cancelled_cancel_its_timers,
            DisputeOpened: self.on_dispute_opened_arm_resolution_timer,
            DisputeResolved: self.on_dispute_resolved_stop_resolution_timer,
            DeductionOpened: self.on_deduction_opened_arm_resolution_timer,
            DeductionResolved: self.on_deduction_resolved_stop_resolution_timer,
            EscalationAcknowledged: self.on_escalation_acknowledged_count_within_sla,
            EscalationResolved: self.on_escalation_resolved_count_within_sla,
            PromiseToPayKept: self.on_promise_decided_count_kept,
            PromiseToPayBroken: self.on_promise_decided_count_kept,
        }

    async def _outcome(self, session: AsyncSession, event: Event, *, metric: str, occurred_at: datetime,
                       met: bool) -> None:
        await evaluation.record_outcome(session, outbox=self.outbox, metric=metric, event_id=event.id,
                                        occurred_at=occurred_at, met=met, scopes=_scopes(event.data))

    async def on_invoice_approved_count_first_pass(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, InvoicePortalApproved)
        if fact.first_pass:  # an approval after a rejection was counted as missed at its first rejection
            await self._outcome(session, event, metric="first_pass_acceptance_rate", occurred_at=fact.approved_at,
                                met=True)

    async def on_invoice_rejected_count_first_pass_and_arm_resubmit_timer(self, session: AsyncSession,
                                                                          event: Event) -> None:
        fact = event.data
        assert isinstance(fact, InvoicePortalRejected)
        if fact.rejection_count == 1:
            await self._outcome(session, event, metric="first_pass_acceptance_rate", occurred_at=fact.rejected_at,
                                met=False)
        await timers.arm(session, outbox=self.outbox, metric="time_to_resubmit", subject_type="invoice",
                         subject_id=str(fact.invoice_id), subject_key=f"submission:{fact.submission_id}",
                         opened_at=fact.rejected_at, scopes=_scopes(fact), holidays=self.holidays)

    async def on_invoice_resubmitted_stop_resubmit_timer(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, InvoiceResubmitted)
        await timers.close(session, outbox=self.outbox, metric="time_to_resubmit", subject_type="invoice",
                           subject_id=str(fact.invoice_id), subject_key=f"submission:{fact.previous_submission_id}",
                           closed_at=fact.resubmitted_at, scopes=_scopes(fact), holidays=self.holidays)

    async def on_invoice_cancelled_cancel_its_timers(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, InvoiceCancelled)
        await timers.cancel(session, subject_type="invoice", subject_id=str(fact.invoice_id), at=fact.cancelled_at)

    async def on_dispute_opened_arm_resolution_timer(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, DisputeOpened)
        await self._resolution_timer(session, kind="dispute", item_id=fact.dispute_id, at=fact.opened_at, fact=fact,
                                     opens=True)

    async def on_dispute_resolved_stop_resolution_timer(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, DisputeResolved)
        await self._resolution_timer(session, kind="dispute", item_id=fact.dispute_id, at=fact.resolved_at,
                                     fact=fact, opens=False)

    async def on_deduction_opened_arm_resolution_timer(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, DeductionOpened)
        await self._resolution_timer(session, kind="deduction", item_id=fact.deduction_id, at=fact.opened_at,
                                     fact=fact, opens=True)

    async def on_deduction_resolved_stop_resolution_timer(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, DeductionResolved)
        await self._resolution_timer(session, kind="deduction", item_id=fact.deduction_id, at=fact.resolved_at,
                                     fact=fact, opens=False)

    async def _resolution_timer(self, session: AsyncSession, *, kind: str, item_id: uuid.UUID, at: datetime,
                                fact: object, opens: bool) -> None:
        """A dispute's or deduction's resolution-time timer: armed when it opens, stopped when it is resolved."""
        metric, subject_id, subject_key = f"{kind}_resolution_time", str(item_id), f"{kind}:{item_id}"
        if opens:
            await timers.arm(session, outbox=self.outbox, metric=metric, subject_type=kind, subject_id=subject_id,
                             subject_key=subject_key, opened_at=at, scopes=_scopes(fact), holidays=self.holidays)
        else:
            await timers.close(session, outbox=self.outbox, metric=metric, subject_type=kind, subject_id=subject_id,
                               subject_key=subject_key, closed_at=at, scopes=_scopes(fact), holidays=self.holidays)

    async def on_escalation_acknowledged_count_within_sla(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, EscalationAcknowledged)
        await self._outcome(session, event, metric="escalation_acknowledged_within_sla_rate",
                            occurred_at=fact.acknowledged_at, met=fact.within_sla)

    async def on_escalation_resolved_count_within_sla(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, EscalationResolved)
        await self._outcome(session, event, metric="escalation_resolved_within_sla_rate",
                            occurred_at=fact.resolved_at, met=fact.within_sla)

    async def on_promise_decided_count_kept(self, session: AsyncSession, event: Event) -> None:
        fact = event.data
        assert isinstance(fact, PromiseToPayKept | PromiseToPayBroken)
        await self._outcome(session, event, metric="promise_to_pay_kept_rate", occurred_at=fact.decided_at,
                            met=isinstance(fact, PromiseToPayKept))
