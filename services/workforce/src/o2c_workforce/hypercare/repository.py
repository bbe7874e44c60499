from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import where_equal
from o2c_workforce.hypercare.models import HypercareReview, HypercareWindow


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def windows(session: AsyncSession, *, team: str | None) -> list[HypercareWindow]:
    stmt = where_equal(select(HypercareWindow), {HypercareWindow.owning_team: team})
    return list((await session.scalars(stmt.order_by(HypercareWindow.starts_on, HypercareWindow.id))).all())


async def reviews_of(session: AsyncSession, window_ids: list[uuid.UUID]) -> list[HypercareReview]:
    stmt = (select(HypercareReview).where(HypercareReview.window_id.in_(window_ids))
            .order_by(HypercareReview.review_date))
    return list((await session.scalars(stmt)).all())


async def running(session: AsyncSession, *, team: str, process: str | None, on: date) -> list[HypercareWindow]:
    stmt = select(HypercareWindow).where(
        HypercareWindow.owning_team == team, HypercareWindow.closed_at.is_(None),
        HypercareWindow.starts_on <= on, HypercareWindow.ends_on >= on)
    if process is not None:
        stmt = stmt.where(or_(HypercareWindow.process.is_(None), HypercareWindow.process == process))
    return list((await session.scalars(stmt)).all())


async def all_windows(session: AsyncSession) -> list[HypercareWindow]:
    return list((await session.scalars(select(HypercareWindow))).all())
