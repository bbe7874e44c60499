from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from o2c_common.auth import CurrentPrincipal, Principal, ensure_team_access, require_roles
from o2c_common.errors import problem_responses
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.invoices import service
from o2c_invoicing.invoices.schemas import InvoiceCreate, InvoiceRead

router = APIRouter(prefix="/invoices", tags=["invoices"])

Preparer = Annotated[Principal, Depends(require_roles("billing_specialist", "integration"))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InvoiceRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_invoice(data: InvoiceCreate, session: SessionDep, outbox: OutboxDep, principal: Preparer,
                         response: Response) -> InvoiceRead:
    """Store an invoice, allocate its number and post it as issued (emits `invoice.issued`)."""
    ensure_team_access(principal, owning_team=data.owning_team)
    invoice = await service.create_and_issue(session, data=data, preparer=principal, outbox=outbox)
    response.headers["Location"] = f"/invoices/{invoice.id}"
    return InvoiceRead.model_validate(invoice)


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(401, 403, 404))
async def get_invoice(invoice_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> InvoiceRead:
    invoice = await service.get(session, invoice_id=invoice_id)
    ensure_team_access(principal, owning_team=invoice.owning_team)
    return InvoiceRead.model_validate(invoice)
