"""Case lifecycle: open → acknowledged → in_progress ⇄ waiting_on_requester → resolved → closed (and reopen),
manual escalation, and what a missed SLA target does (escalate to the next tier, emit the breach)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import Conflict, Forbidden
from o2c_common.events.contracts.escalation import (
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationResolved,
    EscalationSlaBreached,
)
from o2c_common.outbox import Outbox
from o2c_escalation.cases import repository as cases_repository
from o2c_escalation.cases.models import Case, OwnershipChange, StatusChange
from o2c_escalation.cases.service import SYSTEM, etag, fact, get, is_staff
from o2c_escalation.config import EscalationSettings
from o2c_escalation.deps import Precondition
from o2c_escalation.lifecycle.schemas import EscalateWrite, TransitionWrite
from o2c_escalation.routing.service import next_tier
from o2c_escalation.sla import repository as sla_repository
from o2c_escalation.sla import service as sla
from o2c_escalation.sla.models import SlaTimer
from o2c_escalation.webhooks.service import emit

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"open"}), "acknowledged"),
    "start": (frozenset({"acknowledged"}), "in_progress"),
    "wait_on_requester": (frozenset({"in_progress"}), "waiting_on_requester"),
    "resume": (frozenset({"waiting_on_requester"}), "in_progress"),
    "resolve": (frozenset({"acknowledged", "in_progress", "waiting_on_requester"}), "resolved"),
    "close": (frozenset({"resolved"}), "closed"),
    "reopen": (frozenset({"resolved"}), "in_progress"),
}
REQUESTER_ACTIONS = frozenset({"resume", "close", "reopen"})
"""What the requester of a case may do besides its staff: answer, accept the resolution, or reopen."""


async def transition(session: AsyncSession, *, case_id: uuid.UUID, data: TransitionWrite, principal: Principal,
                     precondition: Precondition, outbox: Outbox) -> Case:
    case = await get(session, case_id=case_id, principal=principal, for_update=True)
    if not is_staff(principal, case) and data.action not in REQUESTER_ACTIONS:
        raise Forbidden(f"only the owning team, supervisors and leads may {data.action} this case",
                        type="case-access-denied", title="Case access denied")
    precondition(etag(case))
    allowed_from, to_status = TRANSITIONS[data.action]
    if case.status not in allowed_from:
        raise Conflict(f"cannot {data.action} a case that is {case.status}", type="invalid-transition",
                       title="Invalid transition",
                       extensions={"case_status": case.status, "allowed_from": sorted(allowed_from)})
    now = datetime.now(UTC)
    from_status = case.status
    case.status = to_status
    if data.action == "acknowledge":
        await _acknowledge(session, case=case, principal=principal, now=now, outbox=outbox)
    elif data.action == "wait_on_requester":
        await sla.pause_running(session, case=case, now=now)
    elif data.action == "resume":
        await sla.resume(session, case=case, now=now)
    elif data.action == "resolve":
        await _resolve(session, case=case, data=data, principal=principal, now=now, outbox=outbox)
    elif data.action == "close":
        case.closed_at = now
    elif data.action == "reopen":
        case.reopened_count += 1
        case.resolved_at, case.resolution = None, None
        await sla.resume(session, case=case, now=now, clocks=("resolve",), include_stopped=True)
    await session.flush()
    await cases_repository.add_history(session, StatusChange(case_id=case.id, from_status=from_status,
                                                             to_status=to_status, actor=principal.subject,
                                                             note=data.note))
    await record_audit(session, actor=principal, action=f"case.{data.action}", entity_type="case", entity_id=case.id,
                       reason=data.note, before={"status": from_status}, after={"status": to_status})
    return case


async def _acknowledge(session: AsyncSession, *, case: Case, principal: Principal, now: datetime,
                       outbox: Outbox) -> None:
    timer = await sla.stop(session, case=case, clock="acknowledge", now=now)
    case.acknowledged_at = now
    await emit(session, outbox=outbox, payload=EscalationAcknowledged(
        **fact(case), acknowledged_by=principal.subject, opened_at=case.opened_at,
        acknowledge_due_at=case.acknowledge_due_at or now, acknowledged_at=now,
        business_minutes_to_acknowledge=timer.consumed_seconds // 60,
        within_sla=timer.breaches == 0 and timer.consumed_seconds <= timer.target_seconds,
    ))


async def _resolve(session: AsyncSession, *, case: Case, data: TransitionWrite, principal: Principal, now: datetime,
                   outbox: Outbox) -> None:
    clocks = await sla.timers(session, case=case)
    resolve_due = await sla.hypothetical_due(session, clocks["resolve"], now=now)
    if clocks["acknowledge"].status in ("running", "paused"):
        await sla.stop(session, case=case, clock="acknowledge", now=now)
    timer = await sla.stop(session, case=case, clock="resolve", now=now)
    case.resolved_at, case.resolution = now, data.resolution
    case.root_cause = data.root_cause or case.root_cause
    assert data.resolution is not None
    await emit(session, outbox=outbox, payload=EscalationResolved(
        **fact(case), resolution=data.resolution, root_cause=case.root_cause,
        resolved_by=principal.subject, opened_at=case.opened_at, resolve_due_at=resolve_due, resolved_at=now,
        business_minutes_to_resolve=timer.consumed_seconds // 60,
        within_sla=timer.breaches == 0 and timer.consumed_seconds <= timer.target_seconds,
        reopened_count=case.reopened_count,
    ))


async def escalate_manually(session: AsyncSession, *, case_id: uuid.UUID, data: EscalateWrite, principal: Principal,
                            precondition: Precondition, outbox: Outbox, settings: EscalationSettings) -> Case:
    case = await get(session, case_id=case_id, principal=principal, for_update=True)
    if not is_staff(principal, case):
        raise Forbidden("only the owning team, supervisors and leads may escalate this case",
                        type="case-access-denied", title="Case access denied")
    precondition(etag(case))
    if case.status in ("resolved", "closed"):
        raise Conflict(f"a {case.status} case is not escalated; reopen it first", type="invalid-transition",
                       title="Invalid transition")
    if next_tier(case.tier) is None:
        raise Conflict("the case is at L3 already", type="top-tier", title="Already at the top tier")
    await escalate(session, case=case, reason="manual", actor=principal.subject, note=data.reason, outbox=outbox,
                   settings=settings, now=datetime.now(UTC))
    return case


def tier_team(tier: str, *, case: Case, settings: EscalationSettings) -> str:
    return {"L1": case.l1_team, "L2": settings.l2_team, "L3": settings.l3_team}[tier]


async def escalate(session: AsyncSession, *, case: Case, reason: str, actor: str, note: str | None, outbox: Outbox,
                   settings: EscalationSettings, now: datetime, missed_clocks: Collection[str] = ()) -> None:
    """Move the case to the next tier's team; its clocks continue (missed ones start over) in that calendar."""
    tier = next_tier(case.tier)
    assert tier is not None
    from_tier, previous_team = case.tier, case.owning_team
    team = tier_team(tier, case=case, settings=settings)
    await sla.move_to_team(session, case=case, team=team, now=now, restart=missed_clocks)
    case.tier, case.owning_team, case.assignee = tier, team, None
    await session.flush()
    await cases_repository.add_history(session, OwnershipChange(case_id=case.id, tier=tier, team=team, assignee=None,
                                                                reason=reason, actor=actor))
    await record_audit(session, actor=actor, action="case.escalated", entity_type="case", entity_id=case.id,
                       reason=note or reason, before={"tier": from_tier, "team": previous_team},
                       after={"tier": tier, "team": team})
    resolve_due = case.resolve_due_at or now
    await emit(session, outbox=outbox, payload=EscalationEscalated(
        **fact(case), from_tier=from_tier, previous_owning_team=previous_team,
        reason=reason, escalated_by=None if actor.startswith("system:") else actor, escalated_at=now,
        acknowledge_due_at=case.acknowledge_due_at if case.acknowledged_at is None else None,
        resolve_due_at=resolve_due,
    ))


async def fire_due_timers(session: AsyncSession, *, outbox: Outbox, settings: EscalationSettings,
                          now: datetime | None = None) -> int:
    """One sweep: a case with missed targets goes to the next tier once (or its clocks expire at L3), with a
    breach event per missed clock; when both clocks are due in one sweep, both start over in the new tier."""
    now = now or datetime.now(UTC)
    claimed = await sla_repository.claim_due(session, now=now, limit=settings.sweep_batch_size)
    due_by_case: dict[uuid.UUID, tuple[Case, list[tuple[SlaTimer, datetime]]]] = {}
    for timer, case in claimed:
        if timer.status == "running" and timer.due_at is not None and timer.due_at <= now:
            due_by_case.setdefault(case.id, (case, []))[1].append((timer, timer.due_at))
    for case, due in due_by_case.values():
        for timer, _ in due:
            timer.breaches += 1
            timer.last_fired_at = now
            case.breach_count += 1
        target_tier = next_tier(case.tier)
        if target_tier is not None:
            missed = sorted(timer.clock for timer, _ in due)  # "acknowledge" names the escalation when both missed
            await escalate(session, case=case, reason=f"{missed[0]}_sla_missed", actor=f"{SYSTEM}:sla-timer",
                           note=None, outbox=outbox, settings=settings, now=now, missed_clocks=missed)
        for timer, due_at in due:
            if target_tier is None:
                timer.status, timer.due_at = "expired", None
                await session.flush()
                await record_audit(session, actor=f"{SYSTEM}:sla-timer", action="case.sla_expired", entity_type="case",
                                   entity_id=case.id, after={"clock": timer.clock, "due_at": due_at})
            await emit(session, outbox=outbox, payload=EscalationSlaBreached(
                **fact(case), clock=timer.clock, due_at=due_at, breached_at=now, escalated_to_tier=target_tier,
            ))
    return len(claimed)

