from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Executable, Table, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.bulk import column_arrays, rows_select
from o2c_workforce.work.models import PortalOutcome, WorkItem

_MINUTES_SINCE_ARRIVAL = func.floor(func.extract("epoch", literal_column("excluded.completed_at")
                                                 - WorkItem.arrived_at) / 60)


_ARRIVAL_COLUMNS = ("id", "process", "item_key", "owning_team", "arrived_at")


def _work_items() -> Table:
    return cast(Table, WorkItem.__table__)


@cache
def _arrive() -> Executable:
    """One statement for a batch of arrivals (an ``unnest`` of one array per column: the same text for any count)."""
    table = _work_items()
    stmt = insert(table).from_select(list(_ARRIVAL_COLUMNS), rows_select(table, _ARRIVAL_COLUMNS))
    return stmt.on_conflict_do_update(
        index_elements=["process", "item_key"],
        set_={"arrived_at": func.coalesce(WorkItem.arrived_at, stmt.excluded.arrived_at),
              "owning_team": func.coalesce(WorkItem.owning_team, stmt.excluded.owning_team),
              "handling_minutes": func.coalesce(WorkItem.handling_minutes, func.floor(func.extract(
                  "epoch", WorkItem.completed_at - literal_column("excluded.arrived_at")) / 60))})


async def arrive(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record arrivals (``process``, ``item_key``, ``owning_team``, ``arrived_at`` each) in one statement; the first
    arrival of an item wins (its team: the first one known), and when its completion came first its handling time is
    counted from the arrival."""
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:  # one statement cannot update a row twice: an item's later arrivals in the batch merged here
        kept = first.setdefault((row["process"], row["item_key"]), {"id": uuid.uuid4(), **row})
        if kept["owning_team"] is None:
            kept["owning_team"] = row["owning_team"]
    if first:
        batch = [first[key] for key in sorted(first)]  # in key order: concurrent batches lock rows alike
        await session.execute(_arrive(), column_arrays(session, _work_items(), _ARRIVAL_COLUMNS, batch))


async def complete(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[WorkItem]:
    """Record completions once each (``process``, ``item_key``, ``agent``, ``owning_team``, ``completed_at``,
    ``handling_minutes``; one per item: the caller keeps an item's first), in one statement: the items completed
    now; an item completed before (a replayed fact) is left alone and not returned."""
    if not rows:
        return []
    insert_stmt = insert(WorkItem)
    excluded = insert_stmt.excluded
    stmt = insert_stmt.on_conflict_do_update(
        index_elements=["process", "item_key"],
        set_={"agent": excluded.agent, "completed_at": excluded.completed_at,
              "owning_team": func.coalesce(excluded.owning_team, WorkItem.owning_team),
              "handling_minutes": func.coalesce(excluded.handling_minutes, _MINUTES_SINCE_ARRIVAL)},
        where=WorkItem.completed_at.is_(None)).returning(WorkItem)
    result = await session.scalars(stmt, [{"id": uuid.uuid4(), **row} for row in rows],
                                   execution_options={"populate_existing": True})
    return list(result.all())


async def portal_outcome(session: AsyncSession, *, invoice_id: uuid.UUID, accepted: bool, reason: str | None,
                         at: datetime) -> None:
    stmt = insert(PortalOutcome).values(invoice_id=invoice_id, accepted=accepted, reason=reason, decided_at=at)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["invoice_id"]))


async def per_agent_day(session: AsyncSession, *, team: str | None, since: datetime,
                        until: datetime) -> list[tuple[str, Any, str, int, Any]]:
    """(agent, day, process, items, average handling minutes) of the items completed in [since, until)."""
    day = func.date(func.timezone("UTC", WorkItem.completed_at))
    stmt = (select(WorkItem.agent, day, WorkItem.process, func.count(), func.avg(WorkItem.handling_minutes))
            .where(WorkItem.agent.is_not(None), WorkItem.completed_at >= since, WorkItem.completed_at < until)
            .group_by(WorkItem.agent, day, WorkItem.process).order_by(WorkItem.agent, day, WorkItem.process))
    if team is not None:
        stmt = stmt.where(WorkItem.owning_team == team)
    return [(a, d, p, n, h) for a, d, p, n, h in (await session.execute(stmt)).all()]


async def backlog(session: AsyncSession, *, team: str | None) -> list[tuple[str, str | None, int, Any]]:
    """(process, team, open items, oldest arrival) of the items arrived and not completed."""
    stmt = (select(WorkItem.process, WorkItem.owning_team, func.count(), func.min(WorkItem.arrived_at))
            .where(WorkItem.completed_at.is_(None), WorkItem.arrived_at.is_not(None))
            .group_by(WorkItem.process, WorkItem.owning_team).order_by(WorkItem.process, WorkItem.owning_team))
    if team is not None:
        stmt = stmt.where(WorkItem.owning_team == team)
    return [(p, t, n, oldest) for p, t, n, oldest in (await session.execute(stmt)).all()]


async def arrivals_per_day(session: AsyncSession, *, process: str, team: str | None, since: datetime,
                           until: datetime) -> dict[Any, int]:
    """Items arriving per UTC day (an item without an arrival fact arrives when completed)."""
    at = func.coalesce(WorkItem.arrived_at, WorkItem.completed_at)
    day = func.date(func.timezone("UTC", at))
    stmt = (select(day, func.count()).where(WorkItem.process == process, at >= since, at < until).group_by(day))
    if team is not None:
        stmt = stmt.where(WorkItem.owning_team == team)
    return {d: n for d, n in (await session.execute(stmt)).all()}


async def average_handling(session: AsyncSession, *, process: str, team: str | None, since: datetime,
                           until: datetime) -> Any:
    stmt = select(func.avg(WorkItem.handling_minutes)).where(
        WorkItem.process == process, WorkItem.completed_at >= since, WorkItem.completed_at < until)
    if team is not None:
        stmt = stmt.where(WorkItem.owning_team == team)
    return (await session.execute(stmt)).scalar_one()
