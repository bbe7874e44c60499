from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status

from o2c_collections.permissions import ArReader, Supervisor, Worker
from o2c_collections.promises import service
from o2c_collections.promises.models import PromiseStatus
from o2c_collections.promises.schemas import CheckResult, PromiseCreate, PromiseRead
from o2c_common.auth import visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/promises", tags=["promises"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PromiseRead,
             responses=problem_responses(401, 403, 422))
async def record_promise(data: PromiseCreate, tx: TxDep, _principal: Worker, idem: IdempotencyDep) -> Response:
    """Record a promise to pay `amount` by `promised_date` (promise_to_pay.recorded); the promised amount
    leaves dunning while open. `Idempotency-Key` accepted."""
    promise = await service.record(tx, data=data)
    return await idem.respond(tx.session, status_code=201, content=PromiseRead.model_validate(promise),
                              headers={"Location": f"/promises/{promise.id}"})


@router.get("", response_model=Page[PromiseRead], responses=problem_responses(401, 403, 422))
async def list_promises(tx: TxDep, _principal: ArReader, page: PageParams, status: PromiseStatus | None = None,
                        customer_id: str | None = None) -> Page[PromiseRead]:
    return await service.list_page(tx, page=page, team=visible_team(tx.actor), status=status,
                                   customer_id=customer_id)


@router.post("/check", response_model=CheckResult, responses=problem_responses(401, 403, 422))
async def check_promises(tx: TxDep, _principal: Supervisor, as_of: date | None = None) -> CheckResult:
    """Decide due promises now (the background check does the same daily): kept or broken."""
    return await service.decide_due(tx, as_of=as_of or tx.now().date())
