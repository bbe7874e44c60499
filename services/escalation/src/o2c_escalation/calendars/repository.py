from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.calendars.models import TeamCalendar


async def get(session: AsyncSession, *, team: str, for_update: bool = False) -> TeamCalendar | None:
    return await session.get(TeamCalendar, team, with_for_update=for_update)



async def list_all(session: AsyncSession) -> list[TeamCalendar]:
    return list((await session.scalars(select(TeamCalendar).order_by(TeamCalendar.team))).all())


async def add(session: AsyncSession, calendar: TeamCalendar) -> TeamCalendar:
    session.add(calendar)
    await session.flush()
    return calendar


async def delete(session: AsyncSession, calendar: TeamCalendar) -> None:
    await session.delete(calendar)
    await session.flush()


async def update(session: AsyncSession, calendar: TeamCalendar, values: dict[str, object]) -> None:
    for name, value in values.items():
        setattr(calendar, name, value)
    await session.flush()
