"""Case lifecycle: open → acknowledged → in_progress ⇄ waiting_on_requester → resolved → closed (and reopen),
manual escalation, and what a missed SLA target does (escalate to the next tier, emit the breach)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from o2c_common.errors import Conflict
from o2c_common.events.contracts.escalation import (
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationReopened,
    EscalationResolved,
    EscalationSlaBreached,
)
from o2c_common.tx import Tx
from o2c_escalation.cases import repository
from o2c_escalation.cases.models import Case, OwnershipChange, StatusChange
from o2c_escalation.cases.schemas import EscalateWrite, TransitionWrite
from o2c_escalation.cases.service import deny_work, fact, get, is_staff, lock_for_work
from o2c_escalation.cases.states import (
    DONE_STATUSES,
    REQUESTER_TRANSITIONS,
    TRANSITIONS,
    Tier,
    Transition,
    next_tier,
)
from o2c_escalation.config import EscalationSettings
from o2c_escalation.sla import service as sla
from o2c_escalation.sla.models import Clock, SlaTimer, TimerStatus
from o2c_escalation.webhooks.service import emit

SLA_TIMER = "system:escalation:sla-timer"
"""The actor of what the SLA sweep does (escalations, expiries)."""


async def lock_for_transition(tx: Tx, *, case_id: uuid.UUID, action: Transition) -> Case:
    """The case locked for ``action``: its staff may do everything, its requester only answer, accept or reopen."""
    case = await get(tx, case_id=case_id, for_update=True)
    if not is_staff(tx.actor, case) and action not in REQUESTER_TRANSITIONS:
        raise deny_work(f"{action} this case")
    return case


async def transition(tx: Tx, case: Case, *, data: TransitionWrite) -> Case:
    allowed_from, to_status = TRANSITIONS[data.action]
    if case.status not in allowed_from:
        raise Conflict(f"cannot {data.action} a case that is {case.status}", type="invalid-transition",
                       title="Invalid transition",
                       extensions={"case_status": case.status, "allowed_from": sorted(allowed_from)})
    now = tx.now()
    from_status = case.status
    case.status = to_status
    if data.action == Transition.ACKNOWLEDGE:
        await _acknowledge(tx, case=case, now=now)
    elif data.action == Transition.WAIT_ON_REQUESTER:
        await sla.pause_running(tx, case=case, now=now)
    elif data.action == Transition.RESUME:
        await sla.resume(tx, case=case, now=now)
    elif data.action == Transition.RESOLVE:
        await _resolve(tx, case=case, data=data, now=now)
    elif data.action == Transition.CLOSE:
        case.closed_at = now
    elif data.action == Transition.REOPEN:
        case.reopened_count += 1
        case.resolved_at, case.resolution = None, None
        await sla.resume(tx, case=case, now=now, clocks=(Clock.RESOLVE,), include_stopped=True)
        await emit(tx, EscalationReopened(**fact(case), reopened_by=tx.actor.subject, opened_at=case.opened_at,
                                          reopened_at=now, reopened_count=case.reopened_count, note=data.note))
    await tx.session.flush()
    await repository.add_history(tx.session, StatusChange(case_id=case.id, from_status=from_status,
                                                          to_status=to_status, actor=tx.actor.subject,
                                                          note=data.note))
    await tx.audit(f"case.{data.action}", entity_type="case", entity_id=case.id, reason=data.note,
                   before={"status": from_status}, after={"status": to_status})
    return case


async def _acknowledge(tx: Tx, *, case: Case, now: datetime) -> None:
    timer = await sla.stop(tx, case=case, clock=Clock.ACKNOWLEDGE, now=now)
    case.acknowledged_at = now
    await emit(tx, EscalationAcknowledged(
        **fact(case), acknowledged_by=tx.actor.subject, opened_at=case.opened_at,
        acknowledge_due_at=case.acknowledge_due_at or now, acknowledged_at=now,
        business_minutes_to_acknowledge=timer.consumed_seconds // 60, within_sla=sla.within_target(timer),
    ))


async def _resolve(tx: Tx, *, case: Case, data: TransitionWrite, now: datetime) -> None:
    clocks = await sla.timers(tx, case=case)
    resolve_due = await sla.hypothetical_due(tx, clocks[Clock.RESOLVE], now=now)
    if clocks[Clock.ACKNOWLEDGE].status in sla.COUNTING:
        await sla.stop(tx, case=case, clock=Clock.ACKNOWLEDGE, now=now)
    timer = await sla.stop(tx, case=case, clock=Clock.RESOLVE, now=now)
    case.resolved_at, case.resolution = now, data.resolution
    case.root_cause = data.root_cause or case.root_cause
    assert data.resolution is not None
    await emit(tx, EscalationResolved(
        **fact(case), resolution=data.resolution, root_cause=case.root_cause,
        resolved_by=tx.actor.subject, opened_at=case.opened_at, resolve_due_at=resolve_due, resolved_at=now,
        business_minutes_to_resolve=timer.consumed_seconds // 60, within_sla=sla.within_target(timer),
        reopened_count=case.reopened_count,
    ))


async def lock_for_escalation(tx: Tx, *, case_id: uuid.UUID) -> Case:
    return await lock_for_work(tx, case_id=case_id, verb="escalate this case")


async def escalate_manually(tx: Tx, case: Case, *, data: EscalateWrite, settings: EscalationSettings) -> Case:
    if case.status in DONE_STATUSES:
        raise Conflict(f"a {case.status} case is not escalated; reopen it first", type="invalid-transition",
                       title="Invalid transition")
    if next_tier(case.tier) is None:
        raise Conflict("the case is at L3 already", type="top-tier", title="Already at the top tier")
    await escalate(tx, case=case, reason="manual", note=data.reason, settings=settings, now=tx.now())
    return case


def tier_team(tier: Tier, *, case: Case, settings: EscalationSettings) -> str:
    return {Tier.L1: case.l1_team, Tier.L2: settings.l2_team, Tier.L3: settings.l3_team}[tier]


async def escalate(tx: Tx, *, case: Case, reason: str, note: str | None, settings: EscalationSettings,
                   now: datetime, missed_clocks: Collection[str] = ()) -> None:
    """Move the case to the next tier's team; its clocks continue (missed ones start over) in that calendar."""
    tier = next_tier(case.tier)
    assert tier is not None
    actor = tx.actor.subject
    from_tier, previous_team = case.tier, case.owning_team
    team = tier_team(tier, case=case, settings=settings)
    await sla.move_to_team(tx, case=case, team=team, now=now, restart=missed_clocks)
    case.tier, case.owning_team, case.assignee = tier, team, None
    await tx.session.flush()
    await repository.add_history(tx.session, OwnershipChange(case_id=case.id, tier=tier, team=team, assignee=None,
                                                             reason=reason, actor=actor))
    await tx.audit("case.escalated", entity_type="case", entity_id=case.id, reason=note or reason,
                   before={"tier": from_tier, "team": previous_team}, after={"tier": tier, "team": team})
    await emit(tx, EscalationEscalated(
        **fact(case), from_tier=from_tier, previous_owning_team=previous_team,
        reason=reason, escalated_by=None if actor.startswith("system:") else actor, escalated_at=now,
        acknowledge_due_at=case.acknowledge_due_at if case.acknowledged_at is None else None,
        resolve_due_at=case.resolve_due_at or now,
    ))


async def fire_due_timers(tx: Tx, *, settings: EscalationSettings, now: datetime | None = None) -> int:
    """One sweep (in :data:`SLA_TIMER`'s name): a case with missed targets goes to the next tier once (or its
    clocks expire at L3), with a breach event per missed clock; when both clocks are due in one sweep, both start
    over in the new tier."""
    tx = tx.acting_as(SLA_TIMER)
    now = now or tx.now()
    claimed = await repository.claim_due_timers(tx.session, now=now, limit=settings.sweep_batch_size)
    due_by_case: dict[uuid.UUID, tuple[Case, list[tuple[SlaTimer, datetime]]]] = {}
    for timer, case in claimed:
        if timer.status == TimerStatus.RUNNING and timer.due_at is not None and timer.due_at <= now:
            due_by_case.setdefault(case.id, (case, []))[1].append((timer, timer.due_at))
    for case, due in due_by_case.values():
        await _fire(tx, case, due, settings=settings, now=now)
    return len(claimed)


async def _fire(tx: Tx, case: Case, due: list[tuple[SlaTimer, datetime]], *, settings: EscalationSettings,
                now: datetime) -> None:
    for timer, _ in due:
        timer.breaches += 1
        timer.last_fired_at = now
        case.breach_count += 1
    target_tier = next_tier(case.tier)
    if target_tier is not None:
        missed = sorted(timer.clock for timer, _ in due)  # "acknowledge" names the escalation when both missed
        await escalate(tx, case=case, reason=f"{missed[0]}_sla_missed", note=None, settings=settings, now=now,
                       missed_clocks=missed)
    for timer, due_at in due:
        if target_tier is None:
            sla.expire(timer)
            await tx.session.flush()
            await tx.audit("case.sla_expired", entity_type="case", entity_id=case.id,
                           after={"clock": timer.clock, "due_at": due_at})
        await emit(tx, EscalationSlaBreached(
            **fact(case), clock=timer.clock, due_at=due_at, breached_at=now, escalated_to_tier=target_tier,
        ))
