from __future__ import annotations

from fastapi import APIRouter

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_workforce.capacity import service
from o2c_workforce.capacity.schemas import (
    CapacityPlan,
    OutlookPublished,
    OutlookRequest,
    PlanRequest,
    QueueRead,
    QueueWrite,
)
from o2c_workforce.permissions import Manager, PlanningReader
from o2c_workforce.processes import Process

router = APIRouter(prefix="/capacity", tags=["capacity"])


@router.put("/queues/{process}", response_model=QueueRead, responses=problem_responses(401, 403, 422))
async def put_queue(process: Process, data: QueueWrite, tx: TxDep, principal: Manager) -> QueueRead:
    """Create or replace a queue's staffing parameters: the model (Erlang C for the desk, workload for back-office
    queues), handling time, open hours, shrinkage, occupancy cap, service level and SLA target."""
    return QueueRead.model_validate(await service.put_queue(tx, process, data))


@router.get("/queues", response_model=list[QueueRead], responses=problem_responses(401, 403))
async def list_queues(tx: TxDep, principal: PlanningReader) -> list[QueueRead]:
    return [QueueRead.model_validate(q) for q in await service.list_queues(tx)]


@router.post("/plan", response_model=CapacityPlan, responses=problem_responses(401, 403, 404, 422))
async def plan(data: PlanRequest, tx: TxDep, principal: PlanningReader) -> CapacityPlan:
    """Forecast arrivals per day (weekday means and a month-end factor from the history), the agents required to
    meet the queue's SLA and the agents rostered from the shift calendars; with what-ifs (volume factor, agents
    leaving, holidays). Reads only: nothing is stored."""
    return await service.plan(tx, data)


@router.post("/outlook:publish", response_model=OutlookPublished, responses=problem_responses(401, 403, 422))
async def publish_outlook(tx: TxDep, principal: Manager, data: OutlookRequest | None = None) -> OutlookPublished:
    """Publish every queue's capacity outlook for its next working days now (forecast arrivals, agents required
    and rostered, the gap) as `capacity.outlook_published`, as the daily step does: the reviews in kpi show the
    latest one of each queue. Queues with no handling time yet are listed as skipped. Audited."""
    return await service.publish_outlook(tx, data or OutlookRequest())
