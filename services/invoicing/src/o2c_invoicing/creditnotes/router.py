from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from o2c_common.auth import CurrentPrincipal, Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.creditnotes import service
from o2c_invoicing.creditnotes.schemas import CreditNoteCreate, CreditNoteRead
from o2c_invoicing.deps import IfMatchDep

router = APIRouter(prefix="/invoices/{invoice_id}/credit-notes", tags=["credit notes"])

Crediting = Annotated[Principal, Depends(require_roles("billing_approver", "ar_supervisor", "integration"))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreditNoteRead,
             responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428))
async def issue_credit_note(invoice_id: uuid.UUID, data: CreditNoteCreate, session: SessionDep, outbox: OutboxDep,
                            principal: Crediting, if_match: IfMatchDep, idem: IdempotencyDep) -> Response:
    """Credit an issued invoice, fully (no amount) or partly; emits `credit_note.issued`. Requires `If-Match`
    with the invoice's ETag; a credit of everything still owed moves the invoice to credited."""
    credit = await service.issue_credit_note(session, invoice_id=invoice_id, amount=data.amount, reason=data.reason,
                                             note=data.note, actor=principal, outbox=outbox, precondition=if_match)
    return await idem.respond(session, status_code=201, content=CreditNoteRead.model_validate(credit))


@router.get("", response_model=list[CreditNoteRead], responses=problem_responses(401, 403, 404))
async def list_credit_notes(invoice_id: uuid.UUID, session: SessionDep,
                            principal: CurrentPrincipal) -> list[CreditNoteRead]:
    return [CreditNoteRead.model_validate(c) for c in await service.list_for(session, invoice_id=invoice_id,
                                                                              principal=principal)]
