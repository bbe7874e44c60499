"""The corrective and preventive action plan of a case."""

from __future__ import annotations

import uuid
from typing import Literal

from o2c_common.errors import NotFound, ValidationFailed
from o2c_common.events.contracts.escalation import CaseActionChanged
from o2c_common.tx import Tx
from o2c_escalation.actions import repository
from o2c_escalation.actions.models import Action, ActionStatus
from o2c_escalation.actions.schemas import ActionCreate, ActionRead, ActionUpdate
from o2c_escalation.cases.models import Case
from o2c_escalation.cases.service import fact, get, lock_for_work


async def add(tx: Tx, *, case_id: uuid.UUID, data: ActionCreate) -> Action:
    case = await lock_for_work(tx, case_id=case_id)
    action = await repository.add(tx.session, Action(id=uuid.uuid4(), case_id=case.id, status=ActionStatus.OPEN,
                                                     created_by=tx.actor.subject, **data.model_dump()))
    await tx.audit("case_action.added", entity_type="case", entity_id=case.id, after=ActionRead.model_validate(action))
    await _emit(tx, case, action, change="added")
    return action


async def lock(tx: Tx, *, case_id: uuid.UUID, action_id: uuid.UUID) -> tuple[Case, Action]:
    """The case locked for work by its staff and one action of its plan, locked too (the router checks If-Match)."""
    case = await lock_for_work(tx, case_id=case_id)
    action = await repository.get(tx.session, case_id=case.id, action_id=action_id)
    if action is None:
        raise NotFound(f"action {action_id} of case {case_id} does not exist")
    return case, action


async def update(tx: Tx, case: Case, action: Action, *, data: ActionUpdate) -> Action:
    changes = data.model_dump(exclude_unset=True)
    if not changes or any(v is None for v in changes.values()):
        raise ValidationFailed("give at least one field to change, none null", errors=[
            {"pointer": "#", "detail": "at least one of status, owner, due_date, description (not null)"}])
    before = ActionRead.model_validate(action)
    for name, value in changes.items():
        setattr(action, name, value)
    if "status" in changes:
        action.completed_at = tx.now() if action.status == ActionStatus.DONE else None
    await tx.session.flush()
    await tx.audit("case_action.updated", entity_type="case", entity_id=case.id, before=before,
                   after=ActionRead.model_validate(action))
    await _emit(tx, case, action, change="updated")
    return action


async def _emit(tx: Tx, case: Case, action: Action, *, change: Literal["added", "updated"]) -> None:
    """The plan's change as an event (kpi's open corrective actions per team read it)."""
    await tx.emit(CaseActionChanged(
        **fact(case), action_id=action.id, kind=action.kind, description=action.description, owner=action.owner,
        due_date=action.due_date, status=action.status, change=change, title=case.title,
        created_at=action.created_at or tx.now(), completed_at=action.completed_at, changed_at=tx.now()))


async def list_for_case(tx: Tx, *, case_id: uuid.UUID) -> list[Action]:
    case = await get(tx, case_id=case_id)
    return await repository.of_case(tx.session, case_id=case.id)
