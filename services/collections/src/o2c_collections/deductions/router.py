from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from o2c_collections.deductions import service
from o2c_collections.deductions.models import DeductionStatus
from o2c_collections.deductions.schemas import DeductionRead, DeductionResolve, WriteOffDecision
from o2c_collections.deps import IfMatchDep, SettingsDep, locked, tagged
from o2c_collections.disputes.schemas import CreditDecision
from o2c_collections.permissions import ArReader, Supervisor, Worker
from o2c_common.auth import visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/deductions", tags=["deductions"])


@router.get("", response_model=Page[DeductionRead], responses=problem_responses(401, 403, 422))
async def list_deductions(tx: TxDep, _principal: ArReader, page: PageParams, status: DeductionStatus | None = None,
                          customer_id: str | None = None) -> Page[DeductionRead]:
    """Deductions, newest first; `status=write_off_requested` is the approval queue."""
    return await service.list_page(tx, page=page, team=visible_team(tx.actor), status=status,
                                   customer_id=customer_id)


@router.get("/{deduction_id}", response_model=DeductionRead, responses=problem_responses(401, 403, 404, 422))
async def get_deduction(deduction_id: uuid.UUID, response: Response, tx: TxDep, _principal: ArReader) -> DeductionRead:
    return DeductionRead.model_validate(tagged(response, await service.get(tx, deduction_id)))


@router.post("/{deduction_id}/resolution", response_model=DeductionRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def resolve_deduction(deduction_id: uuid.UUID, data: DeductionResolve, response: Response, tx: TxDep,
                            _principal: Worker, if_match: IfMatchDep) -> DeductionRead:
    """Resolve as `recovered` or `disputed` (opens a dispute), or request `credited` (status `credit_requested`,
    decided at `/credit-decision`) or `written_off` (decided at `/write-off-decision`) by an ar_supervisor other
    than you. Needs `If-Match`."""
    deduction = await service.resolve(tx, await locked(tx, service.lock, deduction_id, if_match), data=data)
    return DeductionRead.model_validate(tagged(response, deduction))


@router.post("/{deduction_id}/write-off-decision", response_model=DeductionRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_write_off(deduction_id: uuid.UUID, data: WriteOffDecision, response: Response, tx: TxDep,
                           _principal: Supervisor, settings: SettingsDep, if_match: IfMatchDep) -> DeductionRead:
    """Approve or reject a requested write-off: an ar_supervisor who neither requested it nor booked the payment,
    while the invoice's approved credits and write-offs stay within its currency's limit
    (`COLLECTIONS_REDUCTION_LIMITS`; above it, an admin). Needs `If-Match`."""
    deduction = await service.decide_write_off(tx, await locked(tx, service.lock, deduction_id, if_match), data=data,
                                               settings=settings)
    return DeductionRead.model_validate(tagged(response, deduction))


@router.post("/{deduction_id}/credit-decision", response_model=DeductionRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_credit(deduction_id: uuid.UUID, data: CreditDecision, response: Response, tx: TxDep,
                        _principal: Supervisor, settings: SettingsDep, if_match: IfMatchDep) -> DeductionRead:
    """Approve or reject a requested credit: an ar_supervisor who neither requested it nor booked the payment,
    while the invoice's approved credits and write-offs stay within its currency's limit
    (`COLLECTIONS_REDUCTION_LIMITS`; above it, an admin). Approval emits credit_note.requested with `requested_by`
    and `approved_by` and resolves the deduction; rejection opens it again. Needs `If-Match`."""
    deduction = await service.decide_credit(tx, await locked(tx, service.lock, deduction_id, if_match), data=data,
                                            settings=settings)
    return DeductionRead.model_validate(tagged(response, deduction))
