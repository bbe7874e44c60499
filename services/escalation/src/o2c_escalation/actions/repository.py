from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.actions.models import Action


async def add(session: AsyncSession, action: Action) -> Action:
    session.add(action)
    await session.flush()
    await session.refresh(action, ["created_at"])
    return action


async def get(session: AsyncSession, *, case_id: uuid.UUID, action_id: uuid.UUID) -> Action | None:
    stmt = select(Action).where(Action.id == action_id, Action.case_id == case_id).with_for_update()
    return (await session.scalars(stmt)).first()


async def of_case(session: AsyncSession, *, case_id: uuid.UUID) -> list[Action]:
    stmt = select(Action).where(Action.case_id == case_id).order_by(Action.due_date, Action.created_at, Action.id)
    return list((await session.scalars(stmt)).all())
