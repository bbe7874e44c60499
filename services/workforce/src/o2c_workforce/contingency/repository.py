from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_workforce.contingency.models import ContingencyPlan, Invocation, Trigger


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def plans(session: AsyncSession) -> list[ContingencyPlan]:
    return list((await session.scalars(select(ContingencyPlan).order_by(ContingencyPlan.process,
                                                                        ContingencyPlan.name))).all())


async def matching(session: AsyncSession, *, trigger: Trigger, value: str) -> list[ContingencyPlan]:
    stmt = select(ContingencyPlan).where(ContingencyPlan.active, ContingencyPlan.trigger == trigger,
                                         or_(ContingencyPlan.match.is_(None), ContingencyPlan.match == value))
    return list((await session.scalars(stmt.order_by(ContingencyPlan.id))).all())


async def invoke(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """The new invocation's id; None when this source already invoked the plan."""
    stmt = insert(Invocation).values(**values).on_conflict_do_nothing(index_elements=["plan_id", "source_key"])
    return (await session.execute(stmt.returning(Invocation.id))).scalar_one_or_none()


async def invocations(session: AsyncSession, plan_id: uuid.UUID) -> list[Invocation]:
    stmt = select(Invocation).where(Invocation.plan_id == plan_id).order_by(Invocation.invoked_at, Invocation.id)
    return list((await session.scalars(stmt)).all())


async def invoked_between(session: AsyncSession, *, since: Any, until: Any) -> list[tuple[ContingencyPlan, Invocation]]:
    stmt = (select(ContingencyPlan, Invocation).join(Invocation, Invocation.plan_id == ContingencyPlan.id)
            .where(Invocation.invoked_at >= since, Invocation.invoked_at < until).order_by(Invocation.invoked_at))
    return [(p, i) for p, i in (await session.execute(stmt)).all()]
