"""The scorecards' set-based reads: one grouped statement per measure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_workforce.capacity.models import Queue
from o2c_workforce.hypercare.models import HypercareWindow
from o2c_workforce.org.models import Team, Vendor
from o2c_workforce.quality.models import Sample, SampleStatus
from o2c_workforce.work.models import WorkItem

DEFAULT_TARGET_MINUTES = 480


def level_key(level: str) -> Any:
    return {"agent": WorkItem.agent, "team": WorkItem.owning_team, "vendor": Vendor.code}[level]


def _target() -> Any:
    """The item's handling-time target: a running hypercare window's for its team and process, else its queue's."""
    completed_on = func.date(func.timezone("UTC", WorkItem.completed_at))
    hypercare = (select(func.min(cast(HypercareWindow.target_minutes[WorkItem.process].astext, Integer)))
                 .where(HypercareWindow.owning_team == WorkItem.owning_team, HypercareWindow.closed_at.is_(None),
                        or_(HypercareWindow.process.is_(None), HypercareWindow.process == WorkItem.process),
                        HypercareWindow.starts_on <= completed_on, HypercareWindow.ends_on >= completed_on)
                 .scalar_subquery())
    return func.coalesce(hypercare, Queue.target_minutes, literal(DEFAULT_TARGET_MINUTES))


async def work(session: AsyncSession, *, level: str, team: str | None, since: datetime,
               until: datetime) -> dict[str, tuple[int, int, int, Any]]:
    """key → (items, items with a handling time, of them within target, average handling minutes)."""
    key = level_key(level)
    timed = WorkItem.handling_minutes.is_not(None)
    stmt = (select(key, func.count(), func.count().filter(timed),
                   func.count().filter(and_(timed, WorkItem.handling_minutes <= _target())),
                   func.avg(WorkItem.handling_minutes))
            .select_from(WorkItem)
            .outerjoin(Queue, Queue.process == WorkItem.process)
            .outerjoin(Team, Team.code == WorkItem.owning_team).outerjoin(Vendor, Vendor.id == Team.vendor_id)
            .where(WorkItem.agent.is_not(None), WorkItem.completed_at >= since, WorkItem.completed_at < until,
                   key.is_not(None))
            .group_by(key))
    if team is not None:
        stmt = stmt.where(WorkItem.owning_team == team)
    return {k: (n, t, ok, avg) for k, n, t, ok, avg in (await session.execute(stmt)).all()}


async def quality(session: AsyncSession, *, level: str, team: str | None, since: datetime,
                  until: datetime) -> dict[str, tuple[int, Any]]:
    """key → (reviews, average score) of the reviewed samples of work completed in [since, until)."""
    key = level_key(level)
    stmt = (select(key, func.count(), func.avg(Sample.score)).select_from(Sample)
            .join(WorkItem, WorkItem.id == Sample.work_item_id)
            .outerjoin(Team, Team.code == WorkItem.owning_team).outerjoin(Vendor, Vendor.id == Team.vendor_id)
            .where(Sample.status == SampleStatus.REVIEWED, WorkItem.completed_at >= since,
                   WorkItem.completed_at < until, key.is_not(None))
            .group_by(key))
    if team is not None:
        stmt = stmt.where(WorkItem.owning_team == team)
    return {k: (n, avg) for k, n, avg in (await session.execute(stmt)).all()}
