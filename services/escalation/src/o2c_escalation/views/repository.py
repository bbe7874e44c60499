from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.auth import Principal
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_escalation.cases.models import Case
from o2c_escalation.cases.repository import page_by_opening, scoped
from o2c_escalation.cases.schemas import CaseRead
from o2c_escalation.cases.states import OPEN_STATUSES, CaseStatus


async def mine(session: AsyncSession, *, subject: str, page: PageRequest) -> Page[CaseRead]:
    """Not-closed cases assigned to or raised by ``subject``, newest first."""
    stmt = select(Case).where(or_(Case.assignee == subject, Case.requester == subject),
                              Case.status != CaseStatus.CLOSED)
    return await page_by_opening(session, stmt, page=page)


async def queue(session: AsyncSession, *, team: str | None, page: PageRequest) -> Page[CaseRead]:
    """Open cases (of ``team`` if given), most severe first, then oldest first."""
    stmt = where_equal(select(Case).where(Case.status.in_(OPEN_STATUSES)), {Case.owning_team: team})
    return await keyset_page(session, stmt, page=page, order_by=(Case.severity, Case.opened_at, Case.id),
                             item=CaseRead.model_validate)


async def breached(session: AsyncSession, *, principal: Principal, page: PageRequest) -> Page[CaseRead]:
    """Open cases the principal may see that missed at least one SLA target, oldest first."""
    stmt = scoped(select(Case).where(Case.breach_count > 0, Case.status.in_(OPEN_STATUSES)), principal)
    return await page_by_opening(session, stmt, page=page, newest_first=False)


async def aging(session: AsyncSession, *, visible: ColumnElement[bool] | None,
                now: datetime) -> list[tuple[str, str, int]]:
    """(severity, bucket, count) of open cases by age since opening."""
    age = literal(now) - Case.opened_at
    day = func.make_interval(0, 0, 0, 1)
    bucket = case((age < day, "0-1d"), (age < day * 3, "1-3d"), (age < day * 7, "3-7d"),
                  (age < day * 14, "7-14d"), else_="14d+")
    stmt = select(Case.severity, bucket, func.count()).where(Case.status.in_(OPEN_STATUSES))
    if visible is not None:
        stmt = stmt.where(visible)
    stmt = stmt.group_by(Case.severity, bucket)
    return [(s, b, int(n)) for s, b, n in (await session.execute(stmt)).all()]


async def counts(session: AsyncSession, *, by: str, visible: ColumnElement[bool] | None,
                 open_only: bool) -> list[tuple[str | None, int]]:
    column = getattr(Case, by)
    stmt = select(column, func.count())
    if visible is not None:
        stmt = stmt.where(visible)
    if open_only:
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES))
    stmt = stmt.group_by(column).order_by(func.count().desc(), column)
    return [(k, int(n)) for k, n in (await session.execute(stmt)).all()]
