from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import where_equal
from o2c_workforce.org.models import Team, Vendor
from o2c_workforce.quality.models import Checklist, Sample, SampleStatus, SamplingRule
from o2c_workforce.work.models import PortalOutcome, WorkItem


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def rules(session: AsyncSession, *, process: str | None = None, active: bool = True) -> list[SamplingRule]:
    stmt = where_equal(select(SamplingRule), {SamplingRule.process: process, SamplingRule.active: active or None})
    return list((await session.scalars(stmt.order_by(SamplingRule.process, SamplingRule.created_at))).all())


async def taken_between(session: AsyncSession, *, process: str, agent: str, since: datetime, until: datetime) -> int:
    """Samples of the agent's work on ``process`` completed in [since, until)."""
    stmt = select(func.count()).select_from(Sample).join(WorkItem, WorkItem.id == Sample.work_item_id).where(
        Sample.process == process, Sample.agent == agent, WorkItem.completed_at >= since,
        WorkItem.completed_at < until)
    return int((await session.execute(stmt)).scalar_one())


async def sample(session: AsyncSession, sample_id: uuid.UUID, *, for_update: bool = False) -> Sample | None:
    stmt = select(Sample).where(Sample.id == sample_id)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


def samples_query(*, team: str | None, agent: str | None, process: str | None,
                  status: SampleStatus | None) -> Select[tuple[Sample]]:
    return where_equal(select(Sample), {Sample.owning_team: team, Sample.agent: agent, Sample.process: process,
                                        Sample.status: status})


async def checklist(session: AsyncSession, process: str, *, for_update: bool = False) -> Checklist | None:
    return await session.get(Checklist, process, with_for_update=for_update)


def _level_key(level: str) -> Any:
    return {"agent": Sample.agent, "team": Sample.owning_team, "vendor": Vendor.code}[level]


async def scores(session: AsyncSession, *, level: str, team: str | None, since: datetime | None,
                 until: datetime | None) -> list[tuple[str, int, Any]]:
    """(key, reviews, average score) per agent, team or vendor, of the reviewed samples."""
    key = _level_key(level)
    stmt = (select(key, func.count(), func.avg(Sample.score))
            .outerjoin(Team, Team.code == Sample.owning_team).outerjoin(Vendor, Vendor.id == Team.vendor_id)
            .where(Sample.status == SampleStatus.REVIEWED, key.is_not(None)).group_by(key).order_by(key))
    stmt = _window(where_equal(stmt, {Sample.owning_team: team}), Sample.reviewed_at, since, until)
    return [(k, n, avg) for k, n, avg in (await session.execute(stmt)).all()]


async def defect_counts(session: AsyncSession, *, level: str, team: str | None, since: datetime | None,
                        until: datetime | None) -> list[tuple[str, str, int]]:
    key = _level_key(level)
    defect = func.jsonb_array_elements(Sample.defects).table_valued("value").alias("d")
    code = defect.c.value.op("->>")("code")
    stmt = (select(key, code, func.count()).select_from(Sample).join(defect, cast(code, String).is_not(None))
            .outerjoin(Team, Team.code == Sample.owning_team).outerjoin(Vendor, Vendor.id == Team.vendor_id)
            .where(Sample.status == SampleStatus.REVIEWED, key.is_not(None)).group_by(key, code))
    stmt = _window(where_equal(stmt, {Sample.owning_team: team}), Sample.reviewed_at, since, until)
    return [(k, c, n) for k, c, n in (await session.execute(stmt)).all()]


async def first_pass(session: AsyncSession, *, level: str, team: str | None, since: datetime | None,
                     until: datetime | None) -> list[tuple[str, str | None, bool, int]]:
    """(key, rejection reason, accepted, invoices) of first-submission verdicts, attributed to the preparer."""
    key = {"agent": WorkItem.agent, "team": WorkItem.owning_team, "vendor": Vendor.code}[level]
    stmt = (select(key, PortalOutcome.reason, PortalOutcome.accepted, func.count())
            .join(WorkItem, and_(WorkItem.process == "invoice_preparation",
                                 WorkItem.item_key == cast(PortalOutcome.invoice_id, String)))
            .outerjoin(Team, Team.code == WorkItem.owning_team).outerjoin(Vendor, Vendor.id == Team.vendor_id)
            .where(key.is_not(None), WorkItem.agent.is_not(None))
            .group_by(key, PortalOutcome.reason, PortalOutcome.accepted))
    stmt = _window(where_equal(stmt, {WorkItem.owning_team: team}), PortalOutcome.decided_at, since, until)
    return [(k, r, a, n) for k, r, a, n in (await session.execute(stmt)).all()]


def _window(stmt: Any, column: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        stmt = stmt.where(column >= since)
    if until is not None:
        stmt = stmt.where(column < until)
    return stmt




async def checklists(session: AsyncSession) -> list[Checklist]:
    return list((await session.scalars(select(Checklist).order_by(Checklist.process))).all())
