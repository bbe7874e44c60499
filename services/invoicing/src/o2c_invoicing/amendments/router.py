from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IfMatchDep
from o2c_common.uow import TxDep
from o2c_invoicing.amendments import service
from o2c_invoicing.amendments.schemas import AmendmentCreate, AmendmentRead, Decision
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.invoices.router import locked, read_with_etag
from o2c_invoicing.invoices.service import get
from o2c_invoicing.permissions import Approver, Preparer, Reader

router = APIRouter(prefix="/invoices/{invoice_id}/amendments", tags=["amendments"])


def _read(amendment: Any) -> AmendmentRead:
    return AmendmentRead.model_validate({**{k: getattr(amendment, k) for k in AmendmentRead.model_fields},
                                         "changes": service.public_changes(amendment.changes)})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AmendmentRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def request_amendment(invoice_id: uuid.UUID, data: AmendmentCreate, tx: TxDep,
                            principal: Preparer) -> AmendmentRead:
    """Ask to correct header fields that carry no money (`po_number`, `buyer_reference`, `service_period_start`,
    `service_period_end`, `attachments`) of an issued invoice its portal has not accepted (issued, submitted,
    received or rejected there). Any other field is 422 `not-amendable`: use credit and rebill. Another person
    approves it (`…/decision`)."""
    invoice = await get(tx, invoice_id)
    return _read(await service.request(tx, invoice, changes=data.changes, reason=data.reason))


@router.get("", response_model=list[AmendmentRead], responses=problem_responses(401, 403, 404))
async def list_amendments(invoice_id: uuid.UUID, tx: TxDep, principal: Reader) -> list[AmendmentRead]:
    return [_read(a) for a in await service.list_for(tx, invoice_id)]


@router.post("/{amendment_id}/decision", response_model=AmendmentRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def decide_amendment(invoice_id: uuid.UUID, amendment_id: uuid.UUID, data: Decision, response: Response,
                           tx: TxDep, principal: Approver, if_match: IfMatchDep,
                           settings: SettingsDep) -> AmendmentRead:
    """Approve (apply the fields, regenerate the document as a new version, emit `invoice.amended`) or refuse,
    by someone other than the requester. Requires `If-Match` with the invoice's ETag; answers its new ETag."""
    invoice = await locked(tx, invoice_id, if_match)
    amendment = await service.lock(tx, invoice, amendment_id)
    decided = await service.decide(tx, invoice, amendment, approve=data.approve, note=data.note, settings=settings)
    read_with_etag(response, invoice)
    return _read(decided)
