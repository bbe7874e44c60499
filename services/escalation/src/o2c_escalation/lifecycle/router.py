from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from o2c_common.auth import CurrentPrincipal
from o2c_common.errors import problem_responses
from o2c_common.http import set_etag
from o2c_common.uow import OutboxDep, SessionDep
from o2c_escalation.cases.schemas import CaseRead
from o2c_escalation.cases.service import etag
from o2c_escalation.deps import IfMatchDep, SettingsDep
from o2c_escalation.lifecycle import service
from o2c_escalation.lifecycle.schemas import EscalateWrite, TransitionWrite

router = APIRouter(prefix="/cases", tags=["lifecycle"])


@router.post("/{case_id}/transitions", response_model=CaseRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def transition_case(case_id: uuid.UUID, data: TransitionWrite, response: Response, session: SessionDep,
                          outbox: OutboxDep, principal: CurrentPrincipal, if_match: IfMatchDep) -> CaseRead:
    """Move the case along its lifecycle. Requires `If-Match` with the case's current ETag (412 when stale).

    acknowledge (open→acknowledged), start (→in_progress), wait_on_requester (pauses the clocks), resume,
    resolve (with a resolution and root cause), close, reopen (resolved→in_progress)."""
    case = await service.transition(session, case_id=case_id, data=data, principal=principal,
                                    precondition=if_match, outbox=outbox)
    set_etag(response, etag=etag(case))
    return CaseRead.model_validate(case)


@router.post("/{case_id}/escalate", response_model=CaseRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def escalate_case(case_id: uuid.UUID, data: EscalateWrite, response: Response, session: SessionDep,
                        outbox: OutboxDep, principal: CurrentPrincipal, if_match: IfMatchDep,
                        settings: SettingsDep) -> CaseRead:
    """Escalate to the next tier by decision (emits `escalation.escalated`); requires `If-Match`."""
    case = await service.escalate_manually(session, case_id=case_id, data=data, principal=principal,
                                           precondition=if_match, outbox=outbox, settings=settings)
    set_etag(response, etag=etag(case))
    return CaseRead.model_validate(case)
