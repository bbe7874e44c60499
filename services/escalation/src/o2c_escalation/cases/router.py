from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.auth import CurrentPrincipal
from o2c_common.errors import problem_responses
from o2c_common.events.types import Severity
from o2c_common.http import IdempotencyDep, Page, PageParams, set_etag
from o2c_common.uow import OutboxDep, SessionDep
from o2c_escalation.cases import service
from o2c_escalation.cases.schemas import (
    AssignmentWrite,
    CaseCreate,
    CaseHistory,
    CaseRead,
    CaseStatus,
    ContingencyPlanWrite,
)
from o2c_escalation.deps import IfMatchDep, SettingsDep

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseRead,
             responses=problem_responses(401, 403, 409, 422))
async def open_case(data: CaseCreate, session: SessionDep, outbox: OutboxDep, principal: CurrentPrincipal,
                    settings: SettingsDep, idem: IdempotencyDep) -> Response:
    """Open an escalation case (emits `escalation.opened`). Any authenticated stakeholder may raise one."""
    case = await service.open_case(session, data=data, requester=principal, outbox=outbox, settings=settings)
    return await idem.respond(session, status_code=201, content=CaseRead.model_validate(case),
                              headers={"Location": f"/cases/{case.id}", "ETag": service.etag(case)})


@router.get("", response_model=Page[CaseRead], responses=problem_responses(401, 422))
async def list_cases(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                     status: CaseStatus | None = None, severity: Severity | None = None,
                     team: str | None = None) -> Page[CaseRead]:
    """Cases the caller may see, newest first: supervisors and leads all, agents their team's, requesters theirs."""
    return await service.list_page(session, page=page, principal=principal, status=status, severity=severity,
                                   team=team)


@router.get("/{case_id}", response_model=CaseRead, responses=problem_responses(401, 404, 422))
async def get_case(case_id: uuid.UUID, response: Response, session: SessionDep,
                   principal: CurrentPrincipal) -> CaseRead:
    case = await service.get(session, case_id=case_id, principal=principal)
    set_etag(response, etag=service.etag(case))
    return CaseRead.model_validate(case)


@router.get("/{case_id}/history", response_model=CaseHistory, responses=problem_responses(401, 404, 422))
async def case_history(case_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CaseHistory:
    """Status history and ownership history (routing, escalations, assignments), oldest first."""
    return await service.history(session, case_id=case_id, principal=principal)


@router.put("/{case_id}/assignment", response_model=CaseRead,
            responses=problem_responses(401, 403, 404, 412, 422, 428))
async def assign_case(case_id: uuid.UUID, data: AssignmentWrite, response: Response, session: SessionDep,
                      principal: CurrentPrincipal, if_match: IfMatchDep) -> CaseRead:
    """Assign, reassign or unassign; supervisors and leads may also move it to another team. Needs `If-Match`."""
    case = await service.assign(session, case_id=case_id, data=data, principal=principal, precondition=if_match)
    set_etag(response, etag=service.etag(case))
    return CaseRead.model_validate(case)


@router.put("/{case_id}/contingency-plan", response_model=CaseRead,
            responses=problem_responses(401, 403, 404, 412, 422, 428))
async def link_contingency_plan(case_id: uuid.UUID, data: ContingencyPlanWrite, response: Response,
                                session: SessionDep, principal: CurrentPrincipal, if_match: IfMatchDep) -> CaseRead:
    """Link the contingency plan that applies while the case is open. Needs `If-Match`."""
    case = await service.set_contingency_plan(session, case_id=case_id, data=data, principal=principal,
                                              precondition=if_match)
    set_etag(response, etag=service.etag(case))
    return CaseRead.model_validate(case)
