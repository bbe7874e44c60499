from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep
from o2c_common.uow import TxDep
from o2c_workforce.hypercare import service
from o2c_workforce.hypercare.schemas import ReviewCreate, WindowCreate, WindowRead
from o2c_workforce.permissions import Manager, PerformanceReader

router = APIRouter(prefix="/hypercare", tags=["hypercare"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WindowRead,
             responses=problem_responses(401, 403, 422))
async def open_window(data: WindowCreate, tx: TxDep, principal: Manager, idem: IdempotencyDep) -> Response:
    """Open a hypercare window for a newly transitioned team (or one of its processes): tighter handling-time
    targets and more quality sampling while it runs, and a review each day."""
    return await idem.respond(tx.session, status_code=201, content=await service.open_window(tx, data))


@router.get("", response_model=list[WindowRead], responses=problem_responses(401, 403))
async def list_windows(tx: TxDep, principal: PerformanceReader, team: str | None = None) -> list[WindowRead]:
    """Hypercare windows with their daily reviews and the days not reviewed yet."""
    return await service.list_windows(tx, team=team)


@router.post("/{window_id}/reviews", status_code=status.HTTP_201_CREATED, response_model=WindowRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def review(window_id: uuid.UUID, data: ReviewCreate, tx: TxDep, principal: Manager) -> WindowRead:
    """Record the day's review (findings, actions); one per day."""
    return await service.review(tx, window_id, data)


@router.post("/{window_id}/closure", response_model=WindowRead, responses=problem_responses(401, 403, 404, 409))
async def close(window_id: uuid.UUID, tx: TxDep, principal: Manager) -> WindowRead:
    """End the window early: targets and sampling go back to normal."""
    return await service.close(tx, window_id)
