from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.events.types import Severity
from o2c_common.http import IdempotencyDep, IfMatchDep, Page, PageParams, Precondition, set_etag
from o2c_common.tx import Tx
from o2c_common.uow import TxDep
from o2c_escalation.cases import lifecycle, service
from o2c_escalation.cases.models import Case
from o2c_escalation.cases.schemas import (
    AssignmentWrite,
    CaseCreate,
    CaseHistory,
    CaseRead,
    ContingencyPlanWrite,
    EscalateWrite,
    TransitionWrite,
)
from o2c_escalation.cases.states import CaseStatus
from o2c_escalation.deps import SettingsDep
from o2c_escalation.permissions import CaseParticipant

router = APIRouter(prefix="/cases", tags=["cases"])
lifecycle_router = APIRouter(prefix="/cases", tags=["lifecycle"])
CHANGE_RESPONSES = problem_responses(401, 403, 404, 412, 422, 428)
TRANSITION_RESPONSES = problem_responses(401, 403, 404, 409, 412, 422, 428)


def read(case: Case, response: Response) -> CaseRead:
    """The case as answered after a change, with its new ETag."""
    set_etag(response, etag=version_etag(case))
    return CaseRead.model_validate(case)


async def locked_for_work(tx: Tx, case_id: uuid.UUID, if_match: Precondition) -> Case:
    """The case locked for a change by its staff, its If-Match checked under the lock."""
    case = await service.lock_for_work(tx, case_id=case_id)
    if_match(version_etag(case))
    return case


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseRead,
             responses=problem_responses(401, 403, 409, 422))
async def open_case(data: CaseCreate, tx: TxDep, _principal: CaseParticipant, settings: SettingsDep,
                    idem: IdempotencyDep) -> Response:
    """Open an escalation case (emits `escalation.opened`). Any authenticated stakeholder may raise one."""
    case = await service.open_case(tx, data=data, settings=settings)
    return await idem.respond(tx.session, status_code=201, content=CaseRead.model_validate(case),
                              headers={"Location": f"/cases/{case.id}", "ETag": version_etag(case)})


@router.get("", response_model=Page[CaseRead], responses=problem_responses(401, 422))
async def list_cases(tx: TxDep, _principal: CaseParticipant, page: PageParams, status: CaseStatus | None = None,
                     severity: Severity | None = None,
                     team: str | None = None) -> Page[CaseRead]:
    """Cases the caller may see, newest first: supervisors and leads all, agents their team's, requesters theirs."""
    return await service.list_page(tx, page=page, status=status, severity=severity, team=team)


@router.get("/{case_id}", response_model=CaseRead, responses=problem_responses(401, 404, 422))
async def get_case(case_id: uuid.UUID, response: Response, tx: TxDep, _principal: CaseParticipant) -> CaseRead:
    return read(await service.get(tx, case_id=case_id), response)


@router.get("/{case_id}/history", response_model=CaseHistory, responses=problem_responses(401, 404, 422))
async def case_history(case_id: uuid.UUID, tx: TxDep, _principal: CaseParticipant) -> CaseHistory:
    """Status history and ownership history (routing, escalations, assignments), oldest first."""
    return await service.history(tx, case_id=case_id)


@router.put("/{case_id}/assignment", response_model=CaseRead, responses=CHANGE_RESPONSES)
async def assign_case(case_id: uuid.UUID, data: AssignmentWrite, response: Response, tx: TxDep,
                      _principal: CaseParticipant,
                      if_match: IfMatchDep) -> CaseRead:
    """Assign, reassign or unassign; supervisors and leads may also move it to another team. Needs `If-Match`."""
    case = await locked_for_work(tx, case_id, if_match)
    return read(await service.assign(tx, case, data=data), response)


@router.put("/{case_id}/contingency-plan", response_model=CaseRead, responses=CHANGE_RESPONSES)
async def link_contingency_plan(case_id: uuid.UUID, data: ContingencyPlanWrite, response: Response, tx: TxDep,
                                _principal: CaseParticipant,
                                if_match: IfMatchDep) -> CaseRead:
    """Link the contingency plan that applies while the case is open. Needs `If-Match`."""
    case = await locked_for_work(tx, case_id, if_match)
    return read(await service.set_contingency_plan(tx, case, data=data), response)


@lifecycle_router.post("/{case_id}/transitions", response_model=CaseRead, responses=TRANSITION_RESPONSES)
async def transition_case(case_id: uuid.UUID, data: TransitionWrite, response: Response, tx: TxDep,
                          _principal: CaseParticipant,
                          if_match: IfMatchDep) -> CaseRead:
    """Move the case along its lifecycle. Requires `If-Match` with the case's current ETag (412 when stale).

    acknowledge (open→acknowledged), start (→in_progress), wait_on_requester (pauses the clocks), resume,
    resolve (with a resolution and root cause), close, reopen (resolved→in_progress)."""
    case = await lifecycle.lock_for_transition(tx, case_id=case_id, action=data.action)
    if_match(version_etag(case))
    return read(await lifecycle.transition(tx, case, data=data), response)


@lifecycle_router.post("/{case_id}/escalate", response_model=CaseRead, responses=TRANSITION_RESPONSES)
async def escalate_case(case_id: uuid.UUID, data: EscalateWrite, response: Response, tx: TxDep,
                        _principal: CaseParticipant,
                        if_match: IfMatchDep, settings: SettingsDep) -> CaseRead:
    """Escalate to the next tier by decision (emits `escalation.escalated`); requires `If-Match`."""
    case = await lifecycle.lock_for_escalation(tx, case_id=case_id)
    if_match(version_etag(case))
    return read(await lifecycle.escalate_manually(tx, case, data=data, settings=settings), response)
