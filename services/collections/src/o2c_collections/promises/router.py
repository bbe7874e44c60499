from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response, status

from o2c_collections.promises import service
from o2c_collections.promises.schemas import CheckResult, PromiseCreate, PromiseRead
from o2c_common.auth import CurrentPrincipal, Principal, require_roles, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import OutboxDep, SessionDep

router = APIRouter(prefix="/promises", tags=["promises"])
Collector = Annotated[Principal, Depends(require_roles("ar_supervisor", "collector", "vendor_agent"))]
Supervisor = Annotated[Principal, Depends(require_roles("ar_supervisor"))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PromiseRead,
             responses=problem_responses(401, 403, 422))
async def record_promise(data: PromiseCreate, session: SessionDep, outbox: OutboxDep, principal: Collector,
                         idem: IdempotencyDep) -> Response:
    """Record a promise to pay `amount` by `promised_date` (promise_to_pay.recorded); the promised amount
    leaves dunning while open. `Idempotency-Key` accepted."""
    promise = await service.record(session, data=data, principal=principal, outbox=outbox)
    return await idem.respond(session, status_code=201, content=PromiseRead.model_validate(promise),
                              headers={"Location": f"/promises/{promise.id}"})


@router.get("", response_model=Page[PromiseRead], responses=problem_responses(401, 403, 422))
async def list_promises(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                        status: Literal["open", "kept", "broken"] | None = None,
                        customer_id: str | None = None) -> Page[PromiseRead]:
    return await service.list_page(session, page=page, team=visible_team(principal), status=status,
                                   customer_id=customer_id)


@router.post("/check", response_model=CheckResult, responses=problem_responses(401, 403, 422))
async def check_promises(session: SessionDep, outbox: OutboxDep, _principal: Supervisor,
                         as_of: date | None = None) -> CheckResult:
    """Decide due promises now (the background check does the same daily): kept or broken."""
    return await service.decide_due(session, as_of=as_of or datetime.now(UTC).date(), outbox=outbox)
