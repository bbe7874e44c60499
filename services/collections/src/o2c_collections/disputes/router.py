from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_collections.deps import IfMatchDep, SettingsDep, locked, tagged
from o2c_collections.disputes import service
from o2c_collections.disputes.models import DisputeStatus
from o2c_collections.disputes.schemas import (
    CreditDecision,
    DisputeCreate,
    DisputeRead,
    DisputeResolve,
    DisputeUpdate,
    WriteOffDecision,
)
from o2c_collections.permissions import ArReader, Supervisor, Worker
from o2c_common.auth import visible_team
from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/disputes", tags=["disputes"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DisputeRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def open_dispute(data: DisputeCreate, tx: TxDep, _principal: Worker, idem: IdempotencyDep) -> Response:
    """Open a dispute on an invoice (the whole undisputed open amount when `amount` is omitted): the amount
    leaves dunning and cash matching until resolved (dispute.opened). `Idempotency-Key` accepted."""
    dispute = await service.open_by_collector(tx, data=data)
    return await idem.respond(tx.session, status_code=201, content=DisputeRead.model_validate(dispute),
                              headers={"Location": f"/disputes/{dispute.id}", "ETag": version_etag(dispute)})


@router.get("", response_model=Page[DisputeRead], responses=problem_responses(401, 403, 422))
async def list_disputes(tx: TxDep, _principal: ArReader, page: PageParams, status: DisputeStatus | None = None,
                        customer_id: str | None = None, invoice_id: uuid.UUID | None = None) -> Page[DisputeRead]:
    return await service.list_page(tx, page=page, team=visible_team(tx.actor), status=status,
                                   customer_id=customer_id, invoice_id=invoice_id)


@router.get("/{dispute_id}", response_model=DisputeRead, responses=problem_responses(401, 403, 404, 422))
async def get_dispute(dispute_id: uuid.UUID, response: Response, tx: TxDep, _principal: ArReader) -> DisputeRead:
    return DisputeRead.model_validate(tagged(response, await service.get(tx, dispute_id)))


@router.patch("/{dispute_id}", response_model=DisputeRead,
              responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def update_dispute(dispute_id: uuid.UUID, data: DisputeUpdate, response: Response, tx: TxDep,
                         _principal: Worker, if_match: IfMatchDep) -> DisputeRead:
    """Set the owner, root cause, corrective and preventive action of an open dispute. Needs `If-Match`."""
    dispute = await service.update(tx, await locked(tx, service.lock, dispute_id, if_match), data=data)
    return DisputeRead.model_validate(tagged(response, dispute))


@router.post("/{dispute_id}/resolution", response_model=DisputeRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def resolve_dispute(dispute_id: uuid.UUID, data: DisputeResolve, response: Response, tx: TxDep,
                          _principal: Worker, settings: SettingsDep, if_match: IfMatchDep) -> DisputeRead:
    """Resolve with an outcome and root cause (dispute.resolved). What reduces the receivable is only requested,
    the amount staying held: `credited`/`partially_credited` (status `credit_requested`, decided at
    `/credit-decision`) and `written_off` (status `write_off_requested`, decided at `/write-off-decision`), by an
    ar_supervisor who neither asked for it nor opened the dispute. Needs `If-Match`."""
    dispute = await service.resolve(tx, await locked(tx, service.lock, dispute_id, if_match), data=data,
                                    settings=settings)
    return DisputeRead.model_validate(tagged(response, dispute))


@router.post("/{dispute_id}/write-off-decision", response_model=DisputeRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_write_off(dispute_id: uuid.UUID, data: WriteOffDecision, response: Response, tx: TxDep,
                           _principal: Supervisor, settings: SettingsDep, if_match: IfMatchDep) -> DisputeRead:
    """Approve or reject a requested write-off: an ar_supervisor who neither requested it nor opened the dispute
    (maker-checker), while the invoice's approved credits and write-offs stay within its currency's limit
    (`COLLECTIONS_REDUCTION_LIMITS`; above it, an admin). Approval posts the write-off to the ledger and resolves the
    dispute (dispute.resolved with `written_off_amount` and `approved_by`). Needs `If-Match`."""
    dispute = await service.decide_write_off(tx, await locked(tx, service.lock, dispute_id, if_match), data=data,
                                             settings=settings)
    return DisputeRead.model_validate(tagged(response, dispute))


@router.post("/{dispute_id}/credit-decision", response_model=DisputeRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_credit(dispute_id: uuid.UUID, data: CreditDecision, response: Response, tx: TxDep,
                        _principal: Supervisor, settings: SettingsDep, if_match: IfMatchDep) -> DisputeRead:
    """Approve or reject a requested credit: an ar_supervisor who neither asked for it nor opened the dispute
    (maker-checker), while the invoice's approved credits and write-offs stay within its currency's limit
    (`COLLECTIONS_REDUCTION_LIMITS`; above it, an admin). Approval emits credit_note.requested with `requested_by`
    and `approved_by` and resolves the dispute (dispute.resolved); rejection opens it again. Needs `If-Match`."""
    dispute = await service.decide_credit(tx, await locked(tx, service.lock, dispute_id, if_match), data=data,
                                          settings=settings)
    return DisputeRead.model_validate(tagged(response, dispute))
