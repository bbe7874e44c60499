from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.sla.models import SlaPolicy, SlaTimer


async def get_policy(session: AsyncSession, *, severity: str, for_update: bool = False) -> SlaPolicy | None:
    return await session.get(SlaPolicy, severity, with_for_update=for_update)


async def list_policies(session: AsyncSession) -> list[SlaPolicy]:
    return list((await session.scalars(select(SlaPolicy).order_by(SlaPolicy.severity))).all())


async def add_timers(session: AsyncSession, *timers: SlaTimer) -> None:
    session.add_all(timers)
    await session.flush()


async def timers_of(session: AsyncSession, *, case_id: uuid.UUID) -> list[SlaTimer]:
    """The case's timers, locked: callers hold the case row lock already, so this never waits on a sweep."""
    stmt = select(SlaTimer).where(SlaTimer.case_id == case_id).order_by(SlaTimer.clock).with_for_update()
    return list((await session.scalars(stmt)).all())
