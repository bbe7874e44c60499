from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from o2c_common.auth import CurrentPrincipal, Principal, ensure_team_access, require_roles, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.invoices import service
from o2c_invoicing.invoices.schemas import InvoiceCreate, InvoiceRead

router = APIRouter(prefix="/invoices", tags=["invoices"])

Preparer = Annotated[Principal, Depends(require_roles("billing_specialist", "integration"))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InvoiceRead,
             responses=problem_responses(400, 401, 403, 409, 422))
async def create_invoice(data: InvoiceCreate, session: SessionDep, outbox: OutboxDep, principal: Preparer,
                         idem: IdempotencyDep) -> Response:
    """Store an invoice, allocate its number and post it as issued (emits `invoice.issued`).

    Send an `Idempotency-Key` header to make retries safe: the same key and body replay the first answer."""
    ensure_team_access(principal, owning_team=data.owning_team)
    invoice = await service.create_and_issue(session, data=data, preparer=principal, outbox=outbox)
    return await idem.respond(session, status_code=201, content=InvoiceRead.model_validate(invoice),
                              headers={"Location": f"/invoices/{invoice.id}"})


@router.get("", response_model=Page[InvoiceRead], responses=problem_responses(401, 403, 422))
async def list_invoices(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                        customer_id: str | None = None) -> Page[InvoiceRead]:
    """Invoices, newest first; vendor agents see only their team's."""
    return await service.list_page(session, page=page, customer_id=customer_id, team=visible_team(principal))


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(401, 403, 404))
async def get_invoice(invoice_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> InvoiceRead:
    invoice = await service.get(session, invoice_id=invoice_id)
    ensure_team_access(principal, owning_team=invoice.owning_team)
    return InvoiceRead.model_validate(invoice)
