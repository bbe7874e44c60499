from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict

from o2c_common.errors import problem_responses
from o2c_common.http import IfMatchDep
from o2c_common.uow import TxDep
from o2c_invoicing.amendments.schemas import Decision
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.invoices.router import locked, override_of, read_with_etag
from o2c_invoicing.invoices.schemas import OverrideFields
from o2c_invoicing.invoices.service import get
from o2c_invoicing.permissions import Approver, Preparer, Reader
from o2c_invoicing.rebills import service
from o2c_invoicing.rebills.schemas import RebillCreate, RebillRead

router = APIRouter(prefix="/invoices/{invoice_id}/rebill", tags=["credit and rebill"])


class RebillDecision(Decision, OverrideFields):
    model_config = ConfigDict(extra="forbid")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RebillRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def request_rebill(invoice_id: uuid.UUID, data: RebillCreate, tx: TxDep, principal: Preparer) -> RebillRead:
    """Ask to replace an issued invoice by a corrected one (amounts, lines, customer: what an amendment may not
    change). 409 `cash-applied` while cash is applied to it (unapply first). Another person approves it."""
    invoice = await get(tx, invoice_id)
    return RebillRead.model_validate(await service.request(tx, invoice, corrected=data.corrected,
                                                           reason=data.reason))


@router.get("", response_model=list[RebillRead], responses=problem_responses(401, 403, 404))
async def list_rebills(invoice_id: uuid.UUID, tx: TxDep, principal: Reader) -> list[RebillRead]:
    return [RebillRead.model_validate(r) for r in await service.list_for(tx, invoice_id)]


@router.post("/{rebill_id}/decision", response_model=RebillRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_rebill(invoice_id: uuid.UUID, rebill_id: uuid.UUID, data: RebillDecision, response: Response,
                        tx: TxDep, principal: Approver, if_match: IfMatchDep, settings: SettingsDep) -> RebillRead:
    """Approve, by someone other than the requester: in one transaction the original is credited in full
    (`billing_error`) and the corrected invoice is prepared, approved and issued with `replaces_invoice_id`;
    emits `invoice.rebilled`. Or refuse with a note. Requires `If-Match` with the original's ETag."""
    invoice = await locked(tx, invoice_id, if_match)
    rebill = await service.lock(tx, invoice, rebill_id)
    decided = await service.decide(tx, invoice, rebill, approve=data.approve, note=data.note, settings=settings,
                                   override=override_of(data, principal))
    read_with_etag(response, invoice)
    return RebillRead.model_validate(decided)
