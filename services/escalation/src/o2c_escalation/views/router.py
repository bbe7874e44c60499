from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep
from o2c_escalation.cases.schemas import CaseRead
from o2c_escalation.permissions import CaseParticipant
from o2c_escalation.views import service
from o2c_escalation.views.schemas import AgingReport, CountBy, CountReport

router = APIRouter(prefix="/views", tags=["views"])


@router.get("/my-cases", response_model=Page[CaseRead], responses=problem_responses(401, 422))
async def my_cases(tx: TxDep, _principal: CaseParticipant, page: PageParams) -> Page[CaseRead]:
    return await service.my_cases(tx, page=page)


@router.get("/team-queue", response_model=Page[CaseRead], responses=problem_responses(401, 403, 422))
async def team_queue(tx: TxDep, _principal: CaseParticipant, page: PageParams,
                     team: Annotated[str | None, Query(min_length=1, max_length=64)] = None) -> Page[CaseRead]:
    """Open cases of a team (default: the caller's), P1 first, oldest first."""
    return await service.team_queue(tx, team=team, page=page)


@router.get("/breached", response_model=Page[CaseRead], responses=problem_responses(401, 422))
async def breached(tx: TxDep, _principal: CaseParticipant, page: PageParams) -> Page[CaseRead]:
    return await service.breached(tx, page=page)


@router.get("/aging", response_model=AgingReport, responses=problem_responses(401))
async def aging(tx: TxDep, _principal: CaseParticipant) -> AgingReport:
    """Open cases by severity and age bucket (0-1d, 1-3d, 3-7d, 7-14d, 14d+)."""
    return await service.aging(tx)


@router.get("/counts", response_model=CountReport, responses=problem_responses(401, 422))
async def counts(tx: TxDep, _principal: CaseParticipant, by: CountBy = "status",
                 open_only: bool = False) -> CountReport:
    """Case counts by category, root cause, severity, owning team or status (the default)."""
    return await service.counts(tx, by=by, open_only=open_only)
