from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response

from o2c_collections.deductions import service
from o2c_collections.deductions.schemas import DeductionRead, DeductionResolve, WriteOffDecision
from o2c_collections.deps import IfMatchDep, SettingsDep
from o2c_common.auth import CurrentPrincipal, Principal, require_roles, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams, set_etag
from o2c_common.uow import OutboxDep, SessionDep

router = APIRouter(prefix="/deductions", tags=["deductions"])
Resolver = Annotated[Principal, Depends(require_roles("ar_supervisor", "collector", "vendor_agent"))]
Approver = Annotated[Principal, Depends(require_roles("ar_supervisor"))]
DeductionStatus = Literal["open", "write_off_requested", "resolved"]


@router.get("", response_model=Page[DeductionRead], responses=problem_responses(401, 403, 422))
async def list_deductions(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                          status: DeductionStatus | None = None,
                          customer_id: str | None = None) -> Page[DeductionRead]:
    """Deductions, newest first; `status=write_off_requested` is the approval queue."""
    return await service.list_page(session, page=page, team=visible_team(principal), status=status,
                                   customer_id=customer_id)


@router.get("/{deduction_id}", response_model=DeductionRead, responses=problem_responses(401, 403, 404, 422))
async def get_deduction(deduction_id: uuid.UUID, response: Response, session: SessionDep,
                        principal: CurrentPrincipal) -> DeductionRead:
    deduction = await service.get(session, deduction_id=deduction_id, principal=principal)
    set_etag(response, etag=service.etag(deduction))
    return DeductionRead.model_validate(deduction)


@router.post("/{deduction_id}/resolution", response_model=DeductionRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def resolve_deduction(deduction_id: uuid.UUID, data: DeductionResolve, response: Response,
                            session: SessionDep, outbox: OutboxDep, principal: Resolver,
                            if_match: IfMatchDep) -> DeductionRead:
    """Resolve as `recovered`, `credited` (credit_note.requested to invoicing), `disputed` (opens a dispute)
    or request `written_off` (then approved by an ar_supervisor other than you). Needs `If-Match`."""
    deduction = await service.resolve(session, deduction_id=deduction_id, data=data, principal=principal,
                                      precondition=if_match, outbox=outbox)
    set_etag(response, etag=service.etag(deduction))
    return DeductionRead.model_validate(deduction)


@router.post("/{deduction_id}/write-off-decision", response_model=DeductionRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_write_off(deduction_id: uuid.UUID, data: WriteOffDecision, response: Response,
                           session: SessionDep, outbox: OutboxDep, principal: Approver, settings: SettingsDep,
                           if_match: IfMatchDep) -> DeductionRead:
    """Approve or reject a requested write-off: an ar_supervisor who did not request it, up to
    `COLLECTIONS_WRITE_OFF_LIMIT` (above it, an admin). Needs `If-Match`."""
    deduction = await service.decide_write_off(session, deduction_id=deduction_id, data=data, principal=principal,
                                               precondition=if_match, outbox=outbox, settings=settings)
    set_etag(response, etag=service.etag(deduction))
    return DeductionRead.model_validate(deduction)
