"""SLA clocks of a case: arming, pausing, resuming, stopping, moving to another team's calendar.

The caller holds the case row lock; every change recomputes ``due_at`` (what the sweeper looks at) and
mirrors the current due instants on the case for views. The clocks know the case only by the few fields
they read and write (:class:`ClockOwner`), so this folder does not import ``cases``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Protocol

from o2c_common.errors import NotFound
from o2c_common.tx import Tx
from o2c_escalation.calendars.business_hours import due_at, elapsed
from o2c_escalation.calendars.service import calendar_for
from o2c_escalation.sla import repository
from o2c_escalation.sla.models import Clock, SlaPolicy, SlaTimer, TimerStatus
from o2c_escalation.sla.schemas import SlaPolicyRead, SlaPolicyWrite

CLOCKS = (Clock.ACKNOWLEDGE, Clock.RESOLVE)
COUNTING = frozenset({TimerStatus.RUNNING, TimerStatus.PAUSED})
"""The states of a clock that has not stopped or expired."""


class ClockOwner(Protocol):
    """What the clocks read and write on their case."""

    id: uuid.UUID
    severity: str
    owning_team: str
    acknowledge_due_at: datetime | None
    resolve_due_at: datetime | None


async def start_clocks(tx: Tx, *, case: ClockOwner, now: datetime) -> list[SlaTimer]:
    policy = await repository.get_policy(tx.session, severity=case.severity)
    if policy is None:
        raise NotFound(f"no SLA policy for severity {case.severity}")
    targets = {Clock.ACKNOWLEDGE: policy.acknowledge_minutes * 60, Clock.RESOLVE: policy.resolve_minutes * 60}
    timers = [SlaTimer(case_id=case.id, clock=clock, status=TimerStatus.RUNNING, team=case.owning_team,
                       target_seconds=targets[clock], consumed_seconds=0, running_since=now, breaches=0)
              for clock in CLOCKS]
    for timer in timers:
        await _recompute(tx, timer)
    await repository.add_timers(tx.session, *timers)
    _mirror(case, timers)
    return timers


async def timers(tx: Tx, *, case: ClockOwner) -> dict[str, SlaTimer]:
    return {t.clock: t for t in await repository.timers_of(tx.session, case_id=case.id)}


async def elapsed_of(tx: Tx, timer: SlaTimer, *, now: datetime) -> timedelta:
    calendar = await calendar_for(tx, team=timer.team)
    return elapsed(calendar, consumed=timedelta(seconds=timer.consumed_seconds), running_since=timer.running_since,
                   now=now)


async def stop(tx: Tx, *, case: ClockOwner, clock: Clock, now: datetime) -> SlaTimer:
    timer = (await timers(tx, case=case))[clock]
    if timer.status in COUNTING:
        await _halt(tx, timer, status=TimerStatus.STOPPED, now=now)
    return timer


async def pause_running(tx: Tx, *, case: ClockOwner, now: datetime) -> None:
    for timer in (await timers(tx, case=case)).values():
        if timer.status == TimerStatus.RUNNING:
            await _halt(tx, timer, status=TimerStatus.PAUSED, now=now)
    _mirror(case, (await timers(tx, case=case)).values())


async def resume(tx: Tx, *, case: ClockOwner, now: datetime, clocks: tuple[Clock, ...] = CLOCKS,
                 include_stopped: bool = False) -> None:
    """Paused clocks (and, on reopen, stopped ones) count again from ``now``, keeping what they consumed."""
    states = (TimerStatus.PAUSED, TimerStatus.STOPPED) if include_stopped else (TimerStatus.PAUSED,)
    for timer in (await timers(tx, case=case)).values():
        if timer.clock in clocks and timer.status in states:
            timer.status, timer.running_since = TimerStatus.RUNNING, now
            await _recompute(tx, timer)
    _mirror(case, (await timers(tx, case=case)).values())


async def move_to_team(tx: Tx, *, case: ClockOwner, team: str, now: datetime,
                       restart: Collection[str] = ()) -> None:
    """Running clocks continue in ``team``'s calendar; ``restart`` (missed clocks) start over there."""
    for timer in (await timers(tx, case=case)).values():
        if timer.clock in restart:
            timer.status, timer.consumed_seconds, timer.running_since = TimerStatus.RUNNING, 0, now
        elif timer.status == TimerStatus.RUNNING:
            timer.consumed_seconds = int((await elapsed_of(tx, timer, now=now)).total_seconds())
            timer.running_since = now
        timer.team = team
        if timer.status == TimerStatus.RUNNING:
            await _recompute(tx, timer)
    _mirror(case, (await timers(tx, case=case)).values())


async def hypothetical_due(tx: Tx, timer: SlaTimer, *, now: datetime) -> datetime:
    """When the clock would be due had it kept running from ``now`` (for events about paused clocks)."""
    if timer.due_at is not None:
        return timer.due_at
    calendar = await calendar_for(tx, team=timer.team)
    result = due_at(calendar, target=timedelta(seconds=timer.target_seconds),
                    consumed=timedelta(seconds=timer.consumed_seconds), running_since=now)
    assert result is not None
    return result


def expire(timer: SlaTimer) -> None:
    """A clock missed at the top tier: nothing left to escalate to."""
    timer.status, timer.due_at = TimerStatus.EXPIRED, None


def within_target(timer: SlaTimer) -> bool:
    return timer.breaches == 0 and timer.consumed_seconds <= timer.target_seconds


async def _halt(tx: Tx, timer: SlaTimer, *, status: TimerStatus, now: datetime) -> None:
    timer.consumed_seconds = int((await elapsed_of(tx, timer, now=now)).total_seconds())
    timer.status, timer.running_since, timer.due_at = status, None, None


async def _recompute(tx: Tx, timer: SlaTimer) -> None:
    calendar = await calendar_for(tx, team=timer.team)
    timer.due_at = due_at(calendar, target=timedelta(seconds=timer.target_seconds),
                          consumed=timedelta(seconds=timer.consumed_seconds), running_since=timer.running_since)


def _mirror(case: ClockOwner, clocks: Iterable[SlaTimer]) -> None:
    for timer in clocks:
        if timer.clock == Clock.ACKNOWLEDGE and timer.status != TimerStatus.STOPPED:
            case.acknowledge_due_at = timer.due_at
        if timer.clock == Clock.RESOLVE and timer.status != TimerStatus.STOPPED:
            case.resolve_due_at = timer.due_at


# --- policies ------------------------------------------------------------------------------------------


async def list_policies(tx: Tx) -> list[SlaPolicy]:
    return await repository.list_policies(tx.session)


async def put_policy(tx: Tx, *, severity: str, data: SlaPolicyWrite) -> SlaPolicy:
    policy = await repository.get_policy(tx.session, severity=severity, for_update=True)
    if policy is None:
        raise NotFound(f"no SLA policy for severity {severity}")
    before = SlaPolicyRead.model_validate(policy)
    policy.acknowledge_minutes, policy.resolve_minutes = data.acknowledge_minutes, data.resolve_minutes
    await tx.session.flush()
    await tx.audit("sla_policy.updated", entity_type="sla_policy", entity_id=severity, before=before, after=data)
    return policy
