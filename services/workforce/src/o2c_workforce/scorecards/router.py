from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter

from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.uow import TxDep
from o2c_workforce.deps import SettingsDep
from o2c_workforce.permissions import PerformanceReader, ensure_reads_people
from o2c_workforce.scorecards import service
from o2c_workforce.scorecards.schemas import Level, Scorecards

router = APIRouter(tags=["scorecards"])


@router.get("/scorecards", response_model=Scorecards, responses=problem_responses(401, 403, 422))
async def scorecards(tx: TxDep, principal: PerformanceReader, settings: SettingsDep,
                     since: date | None = None, until: date | None = None, level: Level = "agent",
                     team: str | None = None) -> Scorecards:
    """Scorecards of the period [since, until) per agent, team or vendor — SLA attainment, quality, productivity,
    backlog age, attrition, tenure — ranked by their index, with under- and top performers and the reasons (a
    vendor agent sees its own team). Without since and until: the last 30 days, today included (UTC). Per agent only
    for readers of people (a viewer: by team or vendor)."""
    if level == "agent":
        ensure_reads_people(principal, "scorecards")
    until = until or tx.now().date() + timedelta(days=1)
    since = since or until - timedelta(days=30)
    if until <= since or (until - since).days > 366:
        raise ValidationFailed("until must be after since, at most a year later", errors=[
            {"parameter": "until", "location": "query", "detail": "after since, at most 366 days later"}])
    return await service.scorecards(tx, level=level, team=team, since=since, until=until, settings=settings)
