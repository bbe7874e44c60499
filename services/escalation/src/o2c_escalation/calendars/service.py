"""Teams' business calendars and the per-transaction cache the SLA clocks read them through."""

from __future__ import annotations

from dataclasses import dataclass, field

from o2c_common.errors import NotFound
from o2c_common.tx import Tx
from o2c_escalation.calendars import repository
from o2c_escalation.calendars.business_hours import BusinessCalendar
from o2c_escalation.calendars.models import TeamCalendar
from o2c_escalation.calendars.schemas import CalendarRead, CalendarWrite

DEFAULT_CALENDAR = BusinessCalendar()
"""Teams without a calendar of their own work 09:00-17:00 UTC, Monday to Friday."""


@dataclass
class Calendars:
    """The business calendars read in this transaction, by team (nothing to write at commit)."""

    by_team: dict[str, BusinessCalendar] = field(default_factory=dict)

    async def flush(self, tx: Tx) -> None:
        return None


def to_business_calendar(row: TeamCalendar | None) -> BusinessCalendar:
    if row is None:
        return DEFAULT_CALENDAR
    return BusinessCalendar(time_zone=row.time_zone, work_start=row.work_start, work_end=row.work_end,
                            workdays=frozenset(row.workdays), holidays=frozenset(row.holidays))


async def calendar_for(tx: Tx, *, team: str) -> BusinessCalendar:
    """The business calendar a team's SLA clocks count in (cached for the transaction)."""
    cache = tx.batch(Calendars).by_team
    if team not in cache:
        cache[team] = to_business_calendar(await repository.get(tx.session, team=team))
    return cache[team]


async def put(tx: Tx, *, team: str, data: CalendarWrite) -> TeamCalendar:
    row = await repository.get(tx.session, team=team, for_update=True)
    before = CalendarRead.model_validate(row).model_dump() if row else None
    if row is None:
        row = await repository.add(tx.session, TeamCalendar(team=team, **data.model_dump()))
    else:
        await repository.update(tx.session, row, data.model_dump())
    tx.batch(Calendars).by_team.clear()
    await tx.audit("calendar.put", entity_type="team_calendar", entity_id=team, before=before, after=data)
    return row


async def get(tx: Tx, *, team: str) -> TeamCalendar:
    row = await repository.get(tx.session, team=team)
    if row is None:
        raise NotFound(f"team {team!r} has no calendar (its clocks use 09:00-17:00 UTC, Monday to Friday)")
    return row


async def list_all(tx: Tx) -> list[TeamCalendar]:
    return await repository.list_all(tx.session)
