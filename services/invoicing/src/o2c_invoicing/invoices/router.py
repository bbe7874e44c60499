from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict

from o2c_common.auth import CurrentPrincipal, Principal, require_roles, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams, set_etag
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.invoices import service
from o2c_invoicing.invoices.schemas import HistoricalInvoiceCreate, InvoiceCreate, InvoiceRead

router = APIRouter(prefix="/invoices", tags=["invoices"])

Preparer = Annotated[Principal, Depends(require_roles("billing_specialist", "vendor_agent", "integration"))]
Importer = Annotated[Principal, Depends(require_roles("integration"))]


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    submission_id: uuid.UUID | None
    attempt: int | None
    from_status: str | None
    to_status: str
    portal_status_code: str | None
    portal_reason_code: str | None
    reason: str | None
    root_cause: str | None
    note: str | None
    actor: str
    at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InvoiceRead,
             responses=problem_responses(400, 401, 403, 409, 422))
async def create_invoice(data: InvoiceCreate, session: SessionDep, principal: Preparer,
                         idem: IdempotencyDep) -> Response:
    """Prepare a draft invoice (totals computed server-side); approve and issue it with the lifecycle actions.

    Send an `Idempotency-Key` header to make retries safe: the same key and body replay the first answer."""
    invoice = await service.create_draft(session, data=data, preparer=principal)
    return await idem.respond(session, status_code=201, content=invoice,
                              headers={"Location": f"/invoices/{invoice.id}", "ETag": service.etag(invoice)})


@router.post("/historical", status_code=status.HTTP_201_CREATED, response_model=InvoiceRead,
             responses=problem_responses(400, 401, 403, 409, 422) | {200: {"model": InvoiceRead}})
async def import_historical_invoice(data: HistoricalInvoiceCreate, session: SessionDep, outbox: OutboxDep,
                                    principal: Importer, idem: IdempotencyDep) -> Response:
    """Integration only: load an invoice issued elsewhere as issued, with its own number and dates (no
    maker-checker: it was approved where it was issued; the importer is recorded). Emits `invoice.issued`.

    With a client-chosen `id`, loading the same id and number again answers 200 with the stored invoice and
    writes nothing (idempotent replays); another invoice with the number (or id) is a 409."""
    invoice, created = await service.import_historical(session, data=data, importer=principal, outbox=outbox)
    return await idem.respond(session, status_code=201 if created else 200,
                              content=InvoiceRead.model_validate(invoice),
                              headers={"Location": f"/invoices/{invoice.id}", "ETag": service.etag(invoice)})


@router.get("", response_model=Page[InvoiceRead], responses=problem_responses(401, 403, 422))
async def list_invoices(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                        customer_id: str | None = None, status: str | None = None) -> Page[InvoiceRead]:
    """Invoices, newest first; vendor agents see only their team's."""
    return await service.list_page(session, page=page, customer_id=customer_id, team=visible_team(principal),
                                   status=status)


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(401, 403, 404))
async def get_invoice(invoice_id: uuid.UUID, response: Response, session: SessionDep,
                      principal: CurrentPrincipal) -> InvoiceRead:
    invoice = await service.get(session, invoice_id=invoice_id, principal=principal)
    set_etag(response, etag=service.etag(invoice))
    return InvoiceRead.model_validate(invoice)


@router.get("/{invoice_id}/history", response_model=list[StatusChangeRead], responses=problem_responses(401, 403, 404))
async def invoice_history(invoice_id: uuid.UUID, session: SessionDep,
                          principal: CurrentPrincipal) -> list[StatusChangeRead]:
    """Every status change, with the submission attempt and portal codes of portal statuses."""
    rows = await service.history(session, invoice_id=invoice_id, principal=principal)
    return [StatusChangeRead.model_validate(r) for r in rows]
