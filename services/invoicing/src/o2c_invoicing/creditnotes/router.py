from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, IfMatchDep
from o2c_common.uow import TxDep
from o2c_invoicing.creditnotes import service
from o2c_invoicing.creditnotes.schemas import CreditNoteCreate, CreditNoteRead
from o2c_invoicing.invoices.router import locked
from o2c_invoicing.permissions import Crediter

router = APIRouter(prefix="/invoices/{invoice_id}/credit-notes", tags=["credit notes"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreditNoteRead,
             responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428))
async def issue_credit_note(invoice_id: uuid.UUID, data: CreditNoteCreate, tx: TxDep, principal: Crediter,
                            if_match: IfMatchDep, idem: IdempotencyDep) -> Response:
    """Credit an issued invoice, fully (no amount: what earlier credit notes left) or partly, whatever its portal
    status; emits `credit_note.issued`. Requires `If-Match` with the invoice's ETag. The invoice's status does
    not move: the AR ledger posts the credit and its `receivable.changed` sets the settlement status."""
    invoice = await locked(tx, invoice_id, if_match)
    credit = await service.issue_credit_note(tx, invoice, amount=data.amount, reason=data.reason, note=data.note)
    return await idem.respond(tx.session, status_code=201, content=CreditNoteRead.model_validate(credit))


@router.get("", response_model=list[CreditNoteRead], responses=problem_responses(401, 403, 404))
async def list_credit_notes(invoice_id: uuid.UUID, tx: TxDep) -> list[CreditNoteRead]:
    return [CreditNoteRead.model_validate(c) for c in await service.list_for(tx, invoice_id)]
