from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound
from o2c_escalation.calendars import repository
from o2c_escalation.calendars.models import TeamCalendar
from o2c_escalation.calendars.schemas import CalendarRead, CalendarWrite
from o2c_escalation.sla.business_hours import BusinessCalendar

DEFAULT_CALENDAR = BusinessCalendar()
"""Teams without a calendar of their own work 09:00-17:00 UTC, Monday to Friday."""


def to_business_calendar(row: TeamCalendar | None) -> BusinessCalendar:
    if row is None:
        return DEFAULT_CALENDAR
    return BusinessCalendar(time_zone=row.time_zone, work_start=row.work_start, work_end=row.work_end,
                            workdays=frozenset(row.workdays), holidays=frozenset(row.holidays))


async def calendar_for(session: AsyncSession, *, team: str) -> BusinessCalendar:
    """The business calendar a team's SLA clocks count in (cached for the transaction)."""
    cache: dict[str, BusinessCalendar] = session.info.setdefault("o2c_calendars", {})
    if team not in cache:
        cache[team] = to_business_calendar(await repository.get(session, team=team))
    return cache[team]


async def put(session: AsyncSession, *, team: str, data: CalendarWrite, actor: Principal) -> TeamCalendar:
    row = await repository.get(session, team=team, for_update=True)
    before = CalendarRead.model_validate(row).model_dump() if row else None
    if row is None:
        row = await repository.add(session, TeamCalendar(team=team, **data.model_dump()))
    else:
        for field, value in data.model_dump().items():
            setattr(row, field, value)
        await session.flush()
    session.info.pop("o2c_calendars", None)
    await record_audit(session, actor=actor, action="calendar.put", entity_type="team_calendar", entity_id=team,
                       before=before, after=data)
    return row


async def get(session: AsyncSession, *, team: str) -> TeamCalendar:
    row = await repository.get(session, team=team)
    if row is None:
        raise NotFound(f"team {team!r} has no calendar (its clocks use 09:00-17:00 UTC, Monday to Friday)")
    return row


async def list_all(session: AsyncSession) -> list[TeamCalendar]:
    return await repository.list_all(session)
