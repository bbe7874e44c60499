from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_workforce.capacity.models import Queue


async def get(session: AsyncSession, process: str, *, for_update: bool = False) -> Queue | None:
    return await session.get(Queue, process, with_for_update=for_update)


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def all_queues(session: AsyncSession) -> list[Queue]:
    return list((await session.scalars(select(Queue).order_by(Queue.process))).all())
