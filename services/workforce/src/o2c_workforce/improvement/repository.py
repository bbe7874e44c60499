from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import where_equal
from o2c_workforce.improvement.models import ImprovementPlan, PlanReview, PlanStatus


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def plans(session: AsyncSession, *, team: str | None, agent_id: uuid.UUID | None) -> list[ImprovementPlan]:
    stmt = where_equal(select(ImprovementPlan), {ImprovementPlan.owning_team: team, ImprovementPlan.agent_id: agent_id})
    return list((await session.scalars(stmt.order_by(ImprovementPlan.starts_on, ImprovementPlan.id))).all())


async def reviews_of(session: AsyncSession, plan_ids: list[uuid.UUID]) -> list[PlanReview]:
    stmt = select(PlanReview).where(PlanReview.plan_id.in_(plan_ids)).order_by(PlanReview.review_date)
    return list((await session.scalars(stmt)).all())


async def on_plan(session: AsyncSession, *, agent_ids: list[uuid.UUID], on: date) -> set[uuid.UUID]:
    """The agents among ``agent_ids`` with an open plan running on ``on``."""
    stmt = select(ImprovementPlan.agent_id).where(
        ImprovementPlan.agent_id.in_(agent_ids), ImprovementPlan.status == PlanStatus.OPEN,
        ImprovementPlan.starts_on <= on, ImprovementPlan.ends_on >= on)
    return set((await session.scalars(stmt)).all())


async def open_plan(session: AsyncSession, agent_id: uuid.UUID) -> ImprovementPlan | None:
    stmt = select(ImprovementPlan).where(ImprovementPlan.agent_id == agent_id,
                                         ImprovementPlan.status == PlanStatus.OPEN).limit(1)
    return (await session.scalars(stmt)).first()
