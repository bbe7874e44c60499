"""SLA clocks of a case: arming, pausing, resuming, stopping, moving to another team's calendar.

The caller holds the case row lock; every change recomputes ``due_at`` (what the sweeper looks at) and
mirrors the current due instants on the case for views.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound
from o2c_escalation.calendars.service import calendar_for
from o2c_escalation.cases.models import Case
from o2c_escalation.sla import repository
from o2c_escalation.sla.business_hours import due_at, elapsed
from o2c_escalation.sla.models import SlaPolicy, SlaTimer
from o2c_escalation.sla.schemas import SlaPolicyRead, SlaPolicyWrite

CLOCKS = ("acknowledge", "resolve")


async def start_clocks(session: AsyncSession, *, case: Case, now: datetime) -> list[SlaTimer]:
    policy = await repository.get_policy(session, severity=case.severity)
    if policy is None:
        raise NotFound(f"no SLA policy for severity {case.severity}")
    targets = {"acknowledge": policy.acknowledge_minutes * 60, "resolve": policy.resolve_minutes * 60}
    timers = [SlaTimer(case_id=case.id, clock=clock, status="running", team=case.owning_team,
                       target_seconds=targets[clock], consumed_seconds=0, running_since=now, breaches=0)
              for clock in CLOCKS]
    for timer in timers:
        await _recompute(session, timer)
    await repository.add_timers(session, *timers)
    _mirror(case, timers)
    return timers


async def timers(session: AsyncSession, *, case: Case) -> dict[str, SlaTimer]:
    return {t.clock: t for t in await repository.timers_of(session, case_id=case.id)}


async def elapsed_of(session: AsyncSession, timer: SlaTimer, *, now: datetime) -> timedelta:
    calendar = await calendar_for(session, team=timer.team)
    return elapsed(calendar, consumed=timedelta(seconds=timer.consumed_seconds), running_since=timer.running_since,
                   now=now)


async def stop(session: AsyncSession, *, case: Case, clock: str, now: datetime) -> SlaTimer:
    timer = (await timers(session, case=case))[clock]
    if timer.status in ("running", "paused"):
        timer.consumed_seconds = int((await elapsed_of(session, timer, now=now)).total_seconds())
        timer.status, timer.running_since, timer.due_at = "stopped", None, None
    return timer


async def pause_running(session: AsyncSession, *, case: Case, now: datetime) -> None:
    for timer in (await timers(session, case=case)).values():
        if timer.status == "running":
            timer.consumed_seconds = int((await elapsed_of(session, timer, now=now)).total_seconds())
            timer.status, timer.running_since, timer.due_at = "paused", None, None
    _mirror(case, (await timers(session, case=case)).values())


async def resume(session: AsyncSession, *, case: Case, now: datetime, clocks: tuple[str, ...] = CLOCKS,
                 include_stopped: bool = False) -> None:
    """Paused clocks (and, on reopen, stopped ones) count again from ``now``, keeping what they consumed."""
    states = ("paused", "stopped") if include_stopped else ("paused",)
    for timer in (await timers(session, case=case)).values():
        if timer.clock in clocks and timer.status in states:
            timer.status, timer.running_since = "running", now
            await _recompute(session, timer)
    _mirror(case, (await timers(session, case=case)).values())


async def move_to_team(session: AsyncSession, *, case: Case, team: str, now: datetime,
                       restart: Collection[str] = ()) -> None:
    """Running clocks continue in ``team``'s calendar; ``restart`` (missed clocks) start over there."""
    for timer in (await timers(session, case=case)).values():
        if timer.clock in restart:
            timer.status, timer.consumed_seconds, timer.running_since = "running", 0, now
        elif timer.status == "running":
            timer.consumed_seconds = int((await elapsed_of(session, timer, now=now)).total_seconds())
            timer.running_since = now
        timer.team = team
        if timer.status == "running":
            await _recompute(session, timer)
    _mirror(case, (await timers(session, case=case)).values())


async def hypothetical_due(session: AsyncSession, timer: SlaTimer, *, now: datetime) -> datetime:
    """When the clock would be due had it kept running from ``now`` (for events about paused clocks)."""
    if timer.due_at is not None:
        return timer.due_at
    calendar = await calendar_for(session, team=timer.team)
    result = due_at(calendar, target=timedelta(seconds=timer.target_seconds),
                    consumed=timedelta(seconds=timer.consumed_seconds), running_since=now)
    assert result is not None
    return result


async def _recompute(session: AsyncSession, timer: SlaTimer) -> None:
    calendar = await calendar_for(session, team=timer.team)
    timer.due_at = due_at(calendar, target=timedelta(seconds=timer.target_seconds),
                          consumed=timedelta(seconds=timer.consumed_seconds), running_since=timer.running_since)


def _mirror(case: Case, clocks: Iterable[SlaTimer]) -> None:
    for timer in clocks:
        if timer.clock == "acknowledge" and timer.status != "stopped":
            case.acknowledge_due_at = timer.due_at
        if timer.clock == "resolve" and timer.status != "stopped":
            case.resolve_due_at = timer.due_at


# --- policies ------------------------------------------------------------------------------------------


async def list_policies(session: AsyncSession) -> list[SlaPolicy]:
    return await repository.list_policies(session)


async def put_policy(session: AsyncSession, *, severity: str, data: SlaPolicyWrite, actor: Principal) -> SlaPolicy:
    policy = await repository.get_policy(session, severity=severity, for_update=True)
    if policy is None:
        raise NotFound(f"no SLA policy for severity {severity}")
    before = SlaPolicyRead.model_validate(policy)
    policy.acknowledge_minutes, policy.resolve_minutes = data.acknowledge_minutes, data.resolve_minutes
    await session.flush()
    await record_audit(session, actor=actor, action="sla_policy.updated", entity_type="sla_policy",
                       entity_id=severity, before=before, after=data)
    return policy
