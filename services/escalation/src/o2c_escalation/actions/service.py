"""The corrective and preventive action plan of a case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound, ValidationFailed
from o2c_common.http import make_etag
from o2c_escalation.actions import repository
from o2c_escalation.actions.models import Action
from o2c_escalation.actions.schemas import ActionCreate, ActionRead, ActionUpdate
from o2c_escalation.cases.service import get, get_for_work
from o2c_escalation.deps import Precondition


def etag(action: Action) -> str:
    return make_etag(entity_id=action.id, version=action.version)


async def add(session: AsyncSession, *, case_id: uuid.UUID, data: ActionCreate, principal: Principal) -> Action:
    case = await get_for_work(session, case_id=case_id, principal=principal)
    action = await repository.add(session, Action(id=uuid.uuid4(), case_id=case.id, status="open",
                                                  created_by=principal.subject, **data.model_dump()))
    await record_audit(session, actor=principal, action="case_action.added", entity_type="case", entity_id=case.id,
                       after=ActionRead.model_validate(action))
    return action


async def update(session: AsyncSession, *, case_id: uuid.UUID, action_id: uuid.UUID, data: ActionUpdate,
                 principal: Principal, precondition: Precondition) -> Action:
    case = await get_for_work(session, case_id=case_id, principal=principal)
    action = await repository.get(session, case_id=case.id, action_id=action_id)
    if action is None:
        raise NotFound(f"action {action_id} of case {case_id} does not exist")
    precondition(etag(action))
    changes = data.model_dump(exclude_unset=True)
    if not changes or any(v is None for v in changes.values()):
        raise ValidationFailed("give at least one field to change, none null", errors=[
            {"pointer": "#", "detail": "at least one of status, owner, due_date, description (not null)"}])
    before = ActionRead.model_validate(action)
    for name, value in changes.items():
        setattr(action, name, value)
    if "status" in changes:
        action.completed_at = datetime.now(UTC) if action.status == "done" else None
    await session.flush()
    await record_audit(session, actor=principal, action="case_action.updated", entity_type="case", entity_id=case.id,
                       before=before, after=ActionRead.model_validate(action))
    return action


async def list_for_case(session: AsyncSession, *, case_id: uuid.UUID, principal: Principal) -> list[Action]:
    case = await get(session, case_id=case_id, principal=principal)
    return await repository.of_case(session, case_id=case.id)
