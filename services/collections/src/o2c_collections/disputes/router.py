from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response, status

from o2c_collections.deps import IfMatchDep, SettingsDep
from o2c_collections.disputes import service
from o2c_collections.disputes.schemas import DisputeCreate, DisputeRead, DisputeResolve, DisputeUpdate
from o2c_common.auth import CurrentPrincipal, Principal, require_roles, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams, set_etag
from o2c_common.uow import OutboxDep, SessionDep

router = APIRouter(prefix="/disputes", tags=["disputes"])
Worker = Annotated[Principal, Depends(require_roles(*service.WORKERS))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DisputeRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def open_dispute(data: DisputeCreate, session: SessionDep, outbox: OutboxDep, principal: Worker,
                       idem: IdempotencyDep) -> Response:
    """Open a dispute on an invoice (the whole undisputed open amount when `amount` is omitted): the amount
    leaves dunning and cash matching until resolved (dispute.opened). `Idempotency-Key` accepted."""
    dispute = await service.open_by_collector(session, data=data, principal=principal, outbox=outbox)
    return await idem.respond(session, status_code=201, content=DisputeRead.model_validate(dispute),
                              headers={"Location": f"/disputes/{dispute.id}", "ETag": service.etag(dispute)})


@router.get("", response_model=Page[DisputeRead], responses=problem_responses(401, 403, 422))
async def list_disputes(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                        status: Literal["open", "resolved"] | None = None, customer_id: str | None = None,
                        invoice_id: uuid.UUID | None = None) -> Page[DisputeRead]:
    return await service.list_page(session, page=page, team=visible_team(principal), status=status,
                                   customer_id=customer_id, invoice_id=invoice_id)


@router.get("/{dispute_id}", response_model=DisputeRead, responses=problem_responses(401, 403, 404, 422))
async def get_dispute(dispute_id: uuid.UUID, response: Response, session: SessionDep,
                      principal: CurrentPrincipal) -> DisputeRead:
    dispute = await service.get(session, dispute_id=dispute_id, principal=principal)
    set_etag(response, etag=service.etag(dispute))
    return DisputeRead.model_validate(dispute)


@router.patch("/{dispute_id}", response_model=DisputeRead,
              responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def update_dispute(dispute_id: uuid.UUID, data: DisputeUpdate, response: Response, session: SessionDep,
                         principal: Worker, if_match: IfMatchDep) -> DisputeRead:
    """Set the owner, root cause, corrective and preventive action of an open dispute. Needs `If-Match`."""
    dispute = await service.update(session, dispute_id=dispute_id, data=data, principal=principal,
                                   precondition=if_match)
    set_etag(response, etag=service.etag(dispute))
    return DisputeRead.model_validate(dispute)


@router.post("/{dispute_id}/resolution", response_model=DisputeRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def resolve_dispute(dispute_id: uuid.UUID, data: DisputeResolve, response: Response, session: SessionDep,
                          outbox: OutboxDep, principal: Worker, settings: SettingsDep,
                          if_match: IfMatchDep) -> DisputeRead:
    """Resolve with an outcome and root cause (dispute.resolved): `credited`/`partially_credited` emit
    credit_note.requested, `written_off` (ar_supervisor, within the limit) reduces AR. Needs `If-Match`."""
    dispute = await service.resolve(session, dispute_id=dispute_id, data=data, principal=principal,
                                    precondition=if_match, outbox=outbox, settings=settings)
    set_etag(response, etag=service.etag(dispute))
    return DisputeRead.model_validate(dispute)
