from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_kpi.sla.models import (
    BreachStatus,
    ScopeType,
    SlaBreach,
    SlaDefinition,
    SlaLevelCheck,
    SlaOutcome,
    SlaTimer,
    SlaWindow,
    TimerStatus,
)

R = TypeVar("R")

# --- definitions ---------------------------------------------------------------------------------------


async def get_definition(session: AsyncSession, *, definition_id: str,
                         for_update: bool = False) -> SlaDefinition | None:
    return await session.get(SlaDefinition, definition_id, with_for_update=for_update, populate_existing=for_update)


async def add_definition(session: AsyncSession, definition: SlaDefinition) -> None:
    session.add(definition)
    await session.flush()


async def insert_definitions_if_missing(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    stmt = insert(SlaDefinition).values(list(rows)).on_conflict_do_nothing().returning(SlaDefinition.id)
    return list((await session.execute(stmt)).scalars())


async def delete_definition(session: AsyncSession, definition: SlaDefinition) -> None:
    await session.delete(definition)
    await session.flush()


async def definitions_page(session: AsyncSession, *, page: PageRequest, metric: str | None, active: bool | None,
                           team: str | None, item: Callable[[SlaDefinition], R]) -> Page[R]:
    return await keyset_page(session, definitions_query(metric=metric, active=active, team=team), page=page,
                             order_by=(SlaDefinition.id,), item=item)


def definitions_query(*, metric: str | None, active: bool | None, team: str | None) -> Select[Any]:
    stmt = where_equal(select(SlaDefinition), {SlaDefinition.metric: metric})
    if active is not None:
        stmt = stmt.where(SlaDefinition.active.is_(active))
    if team is not None:  # a vendor agent: global SLAs and those of its team (or of each team)
        stmt = stmt.where(or_(SlaDefinition.scope_type == ScopeType.GLOBAL,
                              and_(SlaDefinition.scope_type == ScopeType.TEAM,
                                   or_(SlaDefinition.scope_value.is_(None), SlaDefinition.scope_value == team))))
    return stmt


async def active_definitions(session: AsyncSession, *, metric: str) -> list[SlaDefinition]:
    stmt = (select(SlaDefinition).where(SlaDefinition.metric == metric, SlaDefinition.active.is_(True))
            .order_by(SlaDefinition.id))
    return list((await session.scalars(stmt)).all())


async def definitions_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, SlaDefinition]:
    if not ids:
        return {}
    rows = await session.scalars(select(SlaDefinition).where(SlaDefinition.id.in_(set(ids))))
    return {d.id: d for d in rows}


# --- rate outcomes and windows -------------------------------------------------------------------------

SCOPE_COLUMNS = {ScopeType.TEAM: SlaOutcome.owning_team, ScopeType.LEGAL_ENTITY: SlaOutcome.legal_entity,
                 ScopeType.CUSTOMER: SlaOutcome.customer_id}


async def add_outcome(session: AsyncSession, values: dict[str, Any]) -> bool:
    """True when the outcome is new (an event counts once per metric)."""
    stmt = insert(SlaOutcome).values(values).on_conflict_do_nothing().returning(SlaOutcome.event_id)
    return (await session.execute(stmt)).first() is not None


async def count_window(session: AsyncSession, *, definition_id: str, scope_key: str, scope_type: str,
                       scope_value: str | None, metric: str, start: datetime, end: datetime, met: bool) -> SlaWindow:
    """Counts one new outcome into its window, locking the window row. A window seen for the first time
    starts from the outcomes already stored (an SLA defined mid-window counts the window's earlier events)."""
    step = {"met_count": SlaWindow.met_count + int(met), "total_count": SlaWindow.total_count + 1}
    key = (SlaWindow.definition_id == definition_id, SlaWindow.scope_key == scope_key,
           SlaWindow.window_start == start)
    row = (await session.scalars(update(SlaWindow).where(*key).values(step).returning(SlaWindow),
                                 execution_options={"populate_existing": True, "synchronize_session": False})).first()
    if row is not None:
        return row
    counted = select(func.count().filter(SlaOutcome.met.is_(True)), func.count()).where(
        SlaOutcome.metric == metric, SlaOutcome.occurred_at >= start, SlaOutcome.occurred_at < end)
    if scope_type != ScopeType.GLOBAL:
        counted = counted.where(SCOPE_COLUMNS[ScopeType(scope_type)] == scope_value)
    met_count, total_count = (await session.execute(counted)).one()
    stmt = insert(SlaWindow).values(
        definition_id=definition_id, scope_key=scope_key, window_start=start, window_end=end, scope_type=scope_type,
        scope_value=scope_value, met_count=met_count, total_count=total_count,
    ).on_conflict_do_update(index_elements=["definition_id", "scope_key", "window_start"], set_={
        "met_count": SlaWindow.met_count + int(met), "total_count": SlaWindow.total_count + 1})
    return (await session.scalars(stmt.returning(SlaWindow), execution_options={"populate_existing": True})).one()


# --- breaches ------------------------------------------------------------------------------------------


async def add_breach(session: AsyncSession, values: dict[str, Any]) -> bool:
    """True when this breach key is new: only then is ``sla.breached`` emitted."""
    stmt = insert(SlaBreach).values(values).on_conflict_do_nothing().returning(SlaBreach.id)
    return (await session.execute(stmt)).first() is not None


async def recover_breach(session: AsyncSession, *, breach_key: str, recovered_at: datetime,
                         actual: Any) -> SlaBreach | None:
    """The breach, marked recovered, if it was breached (not yet recovered); else None."""
    stmt = (update(SlaBreach).where(SlaBreach.breach_key == breach_key, SlaBreach.status == BreachStatus.BREACHED)
            .values(status=BreachStatus.RECOVERED, recovered_at=recovered_at, recovered_actual=actual)
            .returning(SlaBreach))
    return (await session.scalars(stmt, execution_options={"populate_existing": True})).first()


async def breaches_page(session: AsyncSession, *, page: PageRequest, definition_id: str | None,
                        metric: str | None, team: str | None, status: str | None, severity: str | None,
                        since: datetime | None, until: datetime | None, item: Callable[[SlaBreach], R]) -> Page[R]:
    """Newest first."""
    query = breaches_query(definition_id=definition_id, metric=metric, team=team, status=status, severity=severity,
                           since=since, until=until)
    return await keyset_page(session, query, page=page, order_by=(SlaBreach.breached_at, SlaBreach.id), item=item,
                             descending=True)


def breaches_query(*, definition_id: str | None, metric: str | None, team: str | None, status: str | None,
                   severity: str | None, since: datetime | None, until: datetime | None) -> Select[Any]:
    stmt = where_equal(select(SlaBreach), {
        SlaBreach.definition_id: definition_id, SlaBreach.metric: metric, SlaBreach.owning_team: team,
        SlaBreach.status: status, SlaBreach.severity: severity})
    if since is not None:
        stmt = stmt.where(SlaBreach.breached_at >= since)
    if until is not None:
        stmt = stmt.where(SlaBreach.breached_at < until)
    return stmt


# --- timers --------------------------------------------------------------------------------------------


async def arm_timer(session: AsyncSession, values: dict[str, Any]) -> bool:
    stmt = insert(SlaTimer).values(values).on_conflict_do_nothing().returning(SlaTimer.id)
    return (await session.execute(stmt)).first() is not None


async def timer_for_update(session: AsyncSession, *, definition_id: str, subject_key: str) -> SlaTimer | None:
    stmt = (select(SlaTimer).where(SlaTimer.definition_id == definition_id, SlaTimer.subject_key == subject_key)
            .with_for_update())
    return (await session.scalars(stmt, execution_options={"populate_existing": True})).first()


async def add_timer(session: AsyncSession, timer: SlaTimer) -> None:
    session.add(timer)
    await session.flush()


async def cancel_timers(session: AsyncSession, *, subject_type: str, subject_id: str, at: datetime) -> int:
    stmt = (update(SlaTimer).where(SlaTimer.subject_type == subject_type, SlaTimer.subject_id == subject_id,
                                   SlaTimer.status == TimerStatus.ARMED)
            .values(status=TimerStatus.CANCELLED, closed_at=at).returning(SlaTimer.id))
    return len((await session.execute(stmt)).all())


async def cancel_timers_of_definition(session: AsyncSession, *, definition_id: str, at: datetime) -> None:
    await session.execute(update(SlaTimer).where(SlaTimer.definition_id == definition_id,
                                                 SlaTimer.status == TimerStatus.ARMED)
                          .values(status=TimerStatus.CANCELLED, closed_at=at))


async def claim_due_timers(session: AsyncSession, *, due_before: datetime, limit: int) -> list[SlaTimer]:
    """Armed timers due before ``due_before``, oldest first, locked ``FOR UPDATE SKIP LOCKED``: two sweepers
    never claim one timer, and a timer a consumer is closing is left for the next sweep."""
    stmt = (select(SlaTimer).where(SlaTimer.status == TimerStatus.ARMED, SlaTimer.due_at <= due_before)
            .order_by(SlaTimer.due_at, SlaTimer.id).limit(limit).with_for_update(skip_locked=True))
    return list((await session.scalars(stmt)).all())


async def delete_windows_of_definition(session: AsyncSession, *, definition_id: str) -> None:
    await session.execute(delete(SlaWindow).where(SlaWindow.definition_id == definition_id))


# --- attainment ----------------------------------------------------------------------------------------


async def team_windows(session: AsyncSession, *, team: str, start: datetime,
                       end: datetime) -> list[tuple[str, str, datetime, int, int]]:
    """(definition id, scope key, window start, met count, total count) of the team's rate windows starting in
    [start, end)."""
    stmt = (select(SlaWindow.definition_id, SlaWindow.scope_key, SlaWindow.window_start, SlaWindow.met_count,
                   SlaWindow.total_count)
            .where(SlaWindow.scope_type == ScopeType.TEAM, SlaWindow.scope_value == team,
                   SlaWindow.window_start >= start, SlaWindow.window_start < end)
            .order_by(SlaWindow.definition_id, SlaWindow.window_start))
    return [(r[0], r[1], r[2], r[3], r[4]) for r in (await session.execute(stmt)).all()]


async def team_timers_met(session: AsyncSession, *, team: str, start: datetime,
                          end: datetime) -> list[tuple[str, int]]:
    """(definition id, timers met) of the team's timers closed in time in [start, end)."""
    stmt = (select(SlaTimer.definition_id, func.count())
            .where(SlaTimer.owning_team == team, SlaTimer.status == TimerStatus.MET, SlaTimer.closed_at >= start,
                   SlaTimer.closed_at < end)
            .group_by(SlaTimer.definition_id).order_by(SlaTimer.definition_id))
    return [(r[0], int(r[1])) for r in (await session.execute(stmt)).all()]


async def team_breaches(session: AsyncSession, *, team: str | None, start: datetime,
                        end: datetime) -> list[tuple[str, int]]:
    """(definition id, breaches) of the breaches of ``team`` (None: of no team) in [start, end), whether open or
    recovered since."""
    owner = SlaBreach.owning_team.is_(None) if team is None else SlaBreach.owning_team == team
    stmt = (select(SlaBreach.definition_id, func.count(func.distinct(SlaBreach.breach_key)))
            .where(owner, SlaBreach.breached_at >= start, SlaBreach.breached_at < end)
            .group_by(SlaBreach.definition_id).order_by(SlaBreach.definition_id))
    return [(r[0], int(r[1])) for r in (await session.execute(stmt)).all()]


async def breached_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` a breach was ever emitted for."""
    if not keys:
        return set()
    rows = await session.scalars(select(SlaBreach.breach_key).where(SlaBreach.breach_key.in_(set(keys))))
    return set(rows)


async def teams_with_slas(session: AsyncSession, *, start: datetime, end: datetime) -> list[str]:
    """Teams with a rate window starting, a timer armed or closed, or a breach, in [start, end)."""
    windows = select(SlaWindow.scope_value.label("team")).where(
        SlaWindow.scope_type == ScopeType.TEAM, SlaWindow.scope_value.is_not(None), SlaWindow.window_start >= start,
        SlaWindow.window_start < end)
    timed = select(SlaTimer.owning_team.label("team")).where(
        SlaTimer.owning_team.is_not(None), or_(and_(SlaTimer.armed_at >= start, SlaTimer.armed_at < end),
                                               and_(SlaTimer.closed_at >= start, SlaTimer.closed_at < end)))
    breached = select(SlaBreach.owning_team.label("team")).where(
        SlaBreach.owning_team.is_not(None), SlaBreach.breached_at >= start, SlaBreach.breached_at < end)
    rows = await session.execute(windows.union(timed, breached).order_by("team"))
    return [str(r[0]) for r in rows.all()]


async def known_teams(session: AsyncSession) -> list[str]:
    """Every owning team an SLA outcome or timer has named."""
    outcomes = select(SlaOutcome.owning_team.label("team")).where(SlaOutcome.owning_team.is_not(None))
    timed = select(SlaTimer.owning_team.label("team")).where(SlaTimer.owning_team.is_not(None))
    return [str(r[0]) for r in (await session.execute(outcomes.union(timed).order_by("team"))).all()]


# --- level checks (KPI-level SLAs, o2c_kpi.sla.levels) -------------------------------------------------


async def add_level_check(session: AsyncSession, values: dict[str, Any]) -> bool:
    """True when this (definition, scope, window) was not judged yet: only then is it judged."""
    stmt = insert(SlaLevelCheck).values(values).on_conflict_do_nothing().returning(SlaLevelCheck.definition_id)
    return (await session.execute(stmt)).first() is not None


async def level_checked(session: AsyncSession, *, definition_id: str, window_start: datetime) -> set[str]:
    """The scope keys of ``definition`` already judged for the window starting at ``window_start``."""
    rows = await session.scalars(select(SlaLevelCheck.scope_key).where(
        SlaLevelCheck.definition_id == definition_id, SlaLevelCheck.window_start == window_start))
    return set(rows)


async def open_breach_keys(session: AsyncSession, *, definition_id: str, prefix: str) -> list[str]:
    """Keys of the breaches of ``definition`` still breached whose key starts with ``prefix``."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await session.scalars(select(SlaBreach.breach_key).where(
        SlaBreach.definition_id == definition_id, SlaBreach.status == BreachStatus.BREACHED,
        SlaBreach.breach_key.like(f"{escaped}%", escape="\\")).order_by(SlaBreach.breach_key))
    return list(rows)


async def active_level_definitions(session: AsyncSession, *, metrics: Sequence[str]) -> list[SlaDefinition]:
    stmt = (select(SlaDefinition).where(SlaDefinition.metric.in_(list(metrics)), SlaDefinition.active.is_(True))
            .order_by(SlaDefinition.id))
    return list((await session.scalars(stmt)).all())


async def team_level_checks_met(session: AsyncSession, *, team: str, start: datetime,
                                end: datetime) -> list[tuple[str, int]]:
    """(definition id, windows met) of the team's level checks of windows starting in [start, end)."""
    stmt = (select(SlaLevelCheck.definition_id, func.count())
            .where(SlaLevelCheck.scope_key == f"team:{team}", SlaLevelCheck.met.is_(True),
                   SlaLevelCheck.window_start >= start, SlaLevelCheck.window_start < end)
            .group_by(SlaLevelCheck.definition_id).order_by(SlaLevelCheck.definition_id))
    return [(r[0], int(r[1])) for r in (await session.execute(stmt)).all()]
