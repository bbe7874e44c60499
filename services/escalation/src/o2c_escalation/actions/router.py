from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, IfMatchDep, set_etag
from o2c_common.uow import TxDep
from o2c_escalation.actions import service
from o2c_escalation.actions.schemas import ActionCreate, ActionRead, ActionUpdate
from o2c_escalation.permissions import CaseParticipant

router = APIRouter(prefix="/cases/{case_id}/actions", tags=["action plan"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ActionRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def add_action(case_id: uuid.UUID, data: ActionCreate, tx: TxDep, _principal: CaseParticipant,
                     idem: IdempotencyDep) -> Response:
    """Add a corrective or preventive action (owner, due date) to the case's plan."""
    action = await service.add(tx, case_id=case_id, data=data)
    return await idem.respond(tx.session, status_code=201, content=ActionRead.model_validate(action),
                              headers={"ETag": version_etag(action)})


@router.get("", response_model=list[ActionRead], responses=problem_responses(401, 404, 422))
async def list_actions(case_id: uuid.UUID, tx: TxDep, _principal: CaseParticipant) -> list[ActionRead]:
    """The action plan, by due date."""
    return [ActionRead.model_validate(a) for a in await service.list_for_case(tx, case_id=case_id)]


@router.patch("/{action_id}", response_model=ActionRead, responses=problem_responses(401, 403, 404, 412, 422, 428))
async def update_action(case_id: uuid.UUID, action_id: uuid.UUID, data: ActionUpdate, response: Response,
                        tx: TxDep, _principal: CaseParticipant, if_match: IfMatchDep) -> ActionRead:
    """Change an action's status, owner, due date or description. Needs `If-Match` with the action's ETag."""
    case, action = await service.lock(tx, case_id=case_id, action_id=action_id)
    if_match(version_etag(action))
    action = await service.update(tx, case, action, data=data)
    set_etag(response, etag=version_etag(action))
    return ActionRead.model_validate(action)
