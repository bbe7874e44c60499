from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import TxDep
from o2c_workforce.permissions import Manager, PeopleReader, ProcedureReader, Trainee
from o2c_workforce.training import service
from o2c_workforce.training.models import TrainingStatus
from o2c_workforce.training.schemas import (
    AssignmentCreate,
    AssignmentRead,
    FlagRead,
    PublishedVersion,
    SopCreate,
    SopRead,
    SopVersionCreate,
    SopVersionRead,
)

router = APIRouter(tags=["SOPs and training"])


@router.post("/sops", status_code=status.HTTP_201_CREATED, response_model=SopRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_sop(data: SopCreate, tx: TxDep, principal: Manager) -> SopRead:
    """Register a standard operating procedure and the processes it covers (publish versions next)."""
    sop = await service.create_sop(tx, data)
    return SopRead(id=sop.id, code=sop.code, title=sop.title, processes=sop.processes)


@router.get("/sops", response_model=list[SopRead], responses=problem_responses(401, 403))
async def list_sops(tx: TxDep, principal: ProcedureReader) -> list[SopRead]:
    """Every SOP with its versions, oldest first."""
    return await service.list_sops(tx)


@router.post("/sops/{code}/versions", status_code=status.HTTP_201_CREATED, response_model=PublishedVersion,
             responses=problem_responses(401, 403, 404, 422))
async def publish_version(code: str, data: SopVersionCreate, tx: TxDep, principal: Manager,
                          idem: IdempotencyDep) -> Response:
    """Publish the SOP's next version: every agent skilled in a process it covers is assigned its training, due
    `training_due_days` after it takes effect. Work done after that date without the training is flagged. An
    `Idempotency-Key` makes a retry return the first answer instead of publishing another version."""
    version, assigned = await service.publish(tx, code=code, data=data)
    return await idem.respond(tx.session, status_code=201, content=PublishedVersion(
        **SopVersionRead.model_validate(version).model_dump(), assigned=assigned))


@router.post("/training/assignments", status_code=status.HTTP_201_CREATED, response_model=AssignmentRead,
             responses=problem_responses(401, 403, 404, 422))
async def assign(data: AssignmentCreate, tx: TxDep, principal: Manager) -> AssignmentRead:
    """Assign an agent the training of an SOP version (onboarding, a manual refresher)."""
    return AssignmentRead.model_validate(await service.assign(tx, data))


@router.get("/training/assignments", response_model=Page[AssignmentRead], responses=problem_responses(401, 403, 422))
async def list_assignments(tx: TxDep, principal: PeopleReader,
                           page: PageParams, team: str | None = None, agent_id: uuid.UUID | None = None,
                           status: TrainingStatus | None = None) -> Page[AssignmentRead]:
    """Training assignments by assignment time (a vendor agent sees its own team's)."""
    return await service.list_assignments(tx, page=page, team=team, agent_id=agent_id, status=status)


@router.post("/training/assignments/{assignment_id}/completion", response_model=AssignmentRead,
             responses=problem_responses(401, 403, 404, 422))
async def complete(assignment_id: uuid.UUID, tx: TxDep, principal: Trainee) -> AssignmentRead:
    """Record the training as completed (a manager, or the agent itself); clears the agent's flags on it."""
    return AssignmentRead.model_validate(await service.complete(tx, assignment_id))


@router.get("/training/flags", response_model=Page[FlagRead], responses=problem_responses(401, 403, 422))
async def list_flags(tx: TxDep, principal: PeopleReader,
                     page: PageParams, team: str | None = None, open_only: bool = True) -> Page[FlagRead]:
    """Agents who worked a process whose current SOP version they had not completed, with the items counted."""
    return await service.list_flags(tx, page=page, team=team, open_only=open_only)
