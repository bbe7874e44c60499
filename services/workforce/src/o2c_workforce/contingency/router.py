from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep
from o2c_common.uow import TxDep
from o2c_workforce.contingency import service
from o2c_workforce.contingency.schemas import InvocationRead, InvokeRequest, PlanCreate, PlanRead
from o2c_workforce.permissions import Manager, PlanningReader

router = APIRouter(prefix="/contingency-plans", tags=["contingency plans"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanRead,
             responses=problem_responses(401, 403, 422))
async def create(data: PlanCreate, tx: TxDep, principal: Manager) -> PlanRead:
    """A contingency plan for a process: invoked when an escalation of the category (or an SLA breach of the
    metric) arrives, or by hand; each invocation is an event its owner acts on."""
    return PlanRead.model_validate(await service.create(tx, data))


@router.get("", response_model=list[PlanRead], responses=problem_responses(401, 403))
async def list_plans(tx: TxDep, principal: PlanningReader) -> list[PlanRead]:
    return [PlanRead.model_validate(p) for p in await service.list_plans(tx)]


@router.post("/{plan_id}/invocations", status_code=status.HTTP_201_CREATED, response_model=InvocationRead,
             responses=problem_responses(401, 403, 404, 422))
async def invoke(plan_id: uuid.UUID, data: InvokeRequest, tx: TxDep, principal: Manager,
                 idem: IdempotencyDep) -> Response:
    """Invoke the plan by hand, with the reason. An `Idempotency-Key` makes a retry return the first invocation."""
    invocation = await service.invoke_manually(tx, plan_id, reason=data.reason)
    return await idem.respond(tx.session, status_code=201, content=InvocationRead.model_validate(invocation))


@router.get("/{plan_id}/invocations", response_model=list[InvocationRead], responses=problem_responses(401, 403, 404))
async def invocations(plan_id: uuid.UUID, tx: TxDep, principal: PlanningReader) -> list[InvocationRead]:
    return [InvocationRead.model_validate(i) for i in await service.invocations(tx, plan_id)]
