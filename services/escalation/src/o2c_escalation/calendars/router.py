from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_escalation.calendars import service
from o2c_escalation.calendars.schemas import CalendarRead, CalendarWrite
from o2c_escalation.permissions import DeskReader, Manager

router = APIRouter(prefix="/calendars", tags=["calendars"])
Team = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


@router.get("", response_model=list[CalendarRead], responses=problem_responses(401))
async def list_calendars(tx: TxDep, _principal: DeskReader) -> list[CalendarRead]:
    """Every team's business calendar (teams not listed use 09:00-17:00 UTC, Monday to Friday)."""
    return [CalendarRead.model_validate(c) for c in await service.list_all(tx)]


@router.get("/{team}", response_model=CalendarRead, responses=problem_responses(401, 404, 422))
async def get_calendar(team: Team, tx: TxDep, _principal: DeskReader) -> CalendarRead:
    return CalendarRead.model_validate(await service.get(tx, team=team))


@router.put("/{team}", response_model=CalendarRead, responses=problem_responses(401, 403, 422))
async def put_calendar(team: Team, data: CalendarWrite, tx: TxDep, principal: Manager) -> CalendarRead:
    """Create or replace a team's calendar. Running clocks keep their due instants until they next move."""
    return CalendarRead.model_validate(await service.put(tx, team=team, data=data))
