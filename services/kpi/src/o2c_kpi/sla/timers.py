"""Durable timers of time-based SLAs ("a portal rejection resubmitted within one business day").

An opening event arms one timer per active definition of the metric whose scope it falls in, due after the
target (business days skip weekends and ``sla_holidays``); the closing event stops it. The sweeper, a
periodic step, claims due timers ``FOR UPDATE SKIP LOCKED`` with the injected clock's ``now`` and fires
each once: the timer row turns ``breached`` and the breach row (key: definition, scope, subject) plus
``sla.breached`` are written in the same transaction. Timers live in the database, so a restart loses none.

A closing event stamped before the due instant but consumed after the sweep (consumer lag) recovers the
breach (``sla.recovered``); ``sla_timer_grace_s`` keeps the sweeper that far behind ``now`` to make this rare.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal

from o2c_common.tx import Tx
from o2c_kpi.sla import repository
from o2c_kpi.sla.calendar import business_days_between, deadline
from o2c_kpi.sla.evaluation import Scopes, breach_key, open_breach, recover, scope_of
from o2c_kpi.sla.models import ScopeType, SlaDefinition, SlaTimer, SlaUnit, TimerStatus


def _elapsed(timer: SlaTimer, definition: SlaDefinition, *, until: datetime, holidays: Collection[date]) -> Decimal:
    assert timer.armed_at is not None
    if definition.unit == SlaUnit.BUSINESS_DAYS:
        return business_days_between(timer.armed_at, until, holidays)
    return (Decimal(str((until - timer.armed_at).total_seconds())) / 3600).quantize(Decimal("0.01"))


def _key(definition: SlaDefinition, timer: SlaTimer) -> str:
    if timer.scope_type == ScopeType.GLOBAL:
        return breach_key(definition.id, ScopeType.GLOBAL, timer.subject_key)
    scope = f"{timer.scope_type}:{timer.scope_value}"
    return breach_key(definition.id, scope, timer.subject_key)


async def arm(tx: Tx, *, metric: str, subject_type: str, subject_id: str,
              subject_key: str, opened_at: datetime, scopes: Scopes, holidays: Collection[date]) -> None:
    for definition in await repository.active_definitions(tx.session, metric=metric):
        scope = scope_of(definition, scopes)
        if scope is None:
            continue
        due = deadline(opened_at, target=definition.target, unit=definition.unit, holidays=holidays)
        if await repository.arm_timer(tx.session, {
                "definition_id": definition.id, "subject_key": subject_key, "subject_type": subject_type,
                "subject_id": subject_id, "scope_type": definition.scope_type, "scope_value": scope[1],
                "owning_team": scopes.owning_team, "status": TimerStatus.ARMED, "armed_at": opened_at, "due_at": due}):
            continue
        timer = await repository.timer_for_update(tx.session, definition_id=definition.id, subject_key=subject_key)
        if timer is not None and timer.armed_at is None:  # closed before it was opened (events out of order)
            timer.armed_at, timer.due_at = opened_at, due
            assert timer.closed_at is not None
            if timer.closed_at > due:
                timer.status, timer.fired_at = TimerStatus.LATE, timer.closed_at
                await tx.session.flush()
                await _breach(tx, definition=definition, timer=timer)
            await tx.session.flush()


async def close(tx: Tx, *, metric: str, subject_type: str, subject_id: str,
                subject_key: str, closed_at: datetime, scopes: Scopes, holidays: Collection[date]) -> None:
    for definition in await repository.active_definitions(tx.session, metric=metric):
        timer = await repository.timer_for_update(tx.session, definition_id=definition.id, subject_key=subject_key)
        if timer is None:
            scope = scope_of(definition, scopes)
            if scope is not None:  # remember the close so that a late opening arms nothing
                await repository.add_timer(tx.session, SlaTimer(
                    definition_id=definition.id, subject_key=subject_key, subject_type=subject_type,
                    subject_id=subject_id, scope_type=definition.scope_type, scope_value=scope[1],
                    owning_team=scopes.owning_team, status=TimerStatus.MET, closed_at=closed_at))
            continue
        if timer.status not in (TimerStatus.ARMED, TimerStatus.BREACHED):
            continue  # closed, late or cancelled already
        assert timer.due_at is not None
        fired = timer.status == TimerStatus.BREACHED
        timer.status = TimerStatus.MET if closed_at <= timer.due_at else TimerStatus.LATE
        timer.closed_at = closed_at
        await tx.session.flush()
        if fired and timer.status == TimerStatus.MET:  # fired while the closing event was still on its way
            await recover(tx, key=_key(definition, timer), recovered_at=closed_at,
                          actual=_elapsed(timer, definition, until=closed_at, holidays=holidays))


async def cancel(tx: Tx, *, subject_type: str, subject_id: str, at: datetime) -> int:
    """The subject went away (an invoice cancelled): its armed timers will not fire."""
    return await repository.cancel_timers(tx.session, subject_type=subject_type, subject_id=subject_id, at=at)


async def fire_due(tx: Tx, *, now: datetime, grace_s: float, limit: int) -> int:
    """Fires up to ``limit`` timers due at ``now`` (less the grace); returns how many it claimed."""
    timers = await repository.claim_due_timers(tx.session, due_before=now - timedelta(seconds=grace_s), limit=limit)
    definitions = await repository.definitions_by_ids(tx.session, [t.definition_id for t in timers])
    for timer in timers:
        definition = definitions.get(timer.definition_id)
        if definition is None or not definition.active:
            timer.status, timer.closed_at = TimerStatus.CANCELLED, now
            continue
        timer.status, timer.fired_at = TimerStatus.BREACHED, now
        await tx.session.flush()
        await _breach(tx, definition=definition, timer=timer)
    await tx.session.flush()
    return len(timers)


async def _breach(tx: Tx, *, definition: SlaDefinition, timer: SlaTimer) -> None:
    assert timer.armed_at is not None and timer.due_at is not None
    await open_breach(tx, definition=definition, key=_key(definition, timer),
                      scope_value=timer.scope_value, owning_team=timer.owning_team, window_start=timer.armed_at,
                      window_end=timer.due_at, actual=None, breached_at=timer.due_at,
                      subject=(timer.subject_type, timer.subject_id))
