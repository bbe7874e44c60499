from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.auth import CurrentPrincipal
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import OutboxDep, SessionDep
from o2c_escalation.cases import service
from o2c_escalation.cases.schemas import CaseCreate, CaseRead

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseRead,
             responses=problem_responses(401, 403, 409, 422))
async def open_case(data: CaseCreate, session: SessionDep, outbox: OutboxDep, principal: CurrentPrincipal,
                    idem: IdempotencyDep) -> Response:
    """Open an escalation case (emits `escalation.opened`). Any authenticated stakeholder may raise one."""
    case = await service.open_case(session, data=data, requester=principal, outbox=outbox)
    return await idem.respond(session, status_code=201, content=CaseRead.model_validate(case),
                              headers={"Location": f"/cases/{case.id}"})


@router.get("", response_model=Page[CaseRead], responses=problem_responses(401, 422))
async def list_cases(session: SessionDep, principal: CurrentPrincipal, page: PageParams) -> Page[CaseRead]:
    """Cases the caller may see, newest first: supervisors and leads all, agents their team's, requesters theirs."""
    return await service.list_page(session, page=page, principal=principal)


@router.get("/{case_id}", response_model=CaseRead, responses=problem_responses(401, 404))
async def get_case(case_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CaseRead:
    return CaseRead.model_validate(await service.get(session, case_id=case_id, principal=principal))
