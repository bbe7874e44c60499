from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter

from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.uow import TxDep
from o2c_workforce.org.service import scoped_team
from o2c_workforce.permissions import PerformanceReader, ensure_reads_people
from o2c_workforce.work import service
from o2c_workforce.work.schemas import AgentDay, QueueBacklog

router = APIRouter(tags=["productivity"])


def _utc(value: datetime | None) -> datetime | None:
    """A time without an offset is UTC's (and one with an offset compares with it)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/productivity", response_model=list[AgentDay], responses=problem_responses(401, 403, 422))
async def productivity(tx: TxDep, principal: PerformanceReader, since: datetime | None = None,
                       until: datetime | None = None, team: str | None = None) -> list[AgentDay]:
    """Items each agent completed per day and process in [since, until), with the average handling time, from
    the other services' events (a vendor agent sees its own team). Without them: the 7 days up to now. Its rows are
    per agent: readers of people only (a viewer reads the backlog and the scores by team)."""
    ensure_reads_people(principal, "productivity figures")
    until = _utc(until) or tx.now()
    since = _utc(since) or until - timedelta(days=7)
    if until <= since or (until - since).days > 366:
        raise ValidationFailed("until must be after since, at most a year later", errors=[
            {"parameter": "until", "location": "query", "detail": "after since, at most 366 days later"}])
    return await service.productivity(tx, team=scoped_team(tx, team), since=since, until=until)


@router.get("/backlog", response_model=list[QueueBacklog], responses=problem_responses(401, 403))
async def backlog(tx: TxDep, principal: PerformanceReader, team: str | None = None) -> list[QueueBacklog]:
    """Open items per queue (process) and team, with the age of the oldest."""
    return await service.backlog(tx, team=scoped_team(tx, team))
