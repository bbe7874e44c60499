from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.cases.models import OPEN_STATUSES, Case


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
