from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep
from o2c_common.uow import TxDep
from o2c_workforce.improvement import service
from o2c_workforce.improvement.schemas import PlanClose, PlanCreate, PlanRead, PlanReviewCreate
from o2c_workforce.permissions import Manager, PeopleReader

router = APIRouter(prefix="/improvement-plans", tags=["performance improvement plans"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def open_plan(data: PlanCreate, tx: TxDep, principal: Manager, idem: IdempotencyDep) -> Response:
    """Put an agent on a performance improvement plan (goals, dates); its work is sampled more while it runs."""
    return await idem.respond(tx.session, status_code=201, content=await service.open_plan(tx, data))


@router.get("", response_model=list[PlanRead], responses=problem_responses(401, 403, 422))
async def list_plans(tx: TxDep, principal: PeopleReader,
                     team: str | None = None, agent_id: uuid.UUID | None = None) -> list[PlanRead]:
    return await service.list_plans(tx, team=team, agent_id=agent_id)


@router.post("/{plan_id}/reviews", status_code=status.HTTP_201_CREATED, response_model=PlanRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def review(plan_id: uuid.UUID, data: PlanReviewCreate, tx: TxDep, principal: Manager) -> PlanRead:
    """Record a progress review of the plan."""
    return await service.review(tx, plan_id, data)


@router.post("/{plan_id}/closure", response_model=PlanRead, responses=problem_responses(401, 403, 404, 409, 422))
async def close(plan_id: uuid.UUID, data: PlanClose, tx: TxDep, principal: Manager) -> PlanRead:
    """Close the plan with its outcome: succeeded, extended (a new plan follows) or exited."""
    return await service.close(tx, plan_id, data)
