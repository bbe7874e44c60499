from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from o2c_common.auth import Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.http import set_etag
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.deps import IfMatchDep, SettingsDep
from o2c_invoicing.invoices.schemas import InvoiceRead
from o2c_invoicing.invoices.service import etag
from o2c_invoicing.lifecycle import service
from o2c_invoicing.lifecycle.schemas import Note, Reason

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["invoice lifecycle"])

Preparer = Annotated[Principal, Depends(require_roles("billing_specialist", "vendor_agent", "integration"))]
Approver = Annotated[Principal, Depends(require_roles("billing_approver", "ar_supervisor"))]
Issuer = Annotated[Principal, Depends(require_roles("billing_specialist", "billing_approver", "integration",
                                                    "vendor_agent"))]
Canceller = Annotated[Principal, Depends(require_roles("billing_specialist", "billing_approver", "ar_supervisor"))]
TRANSITION = problem_responses(401, 403, 404, 409, 412, 422, 428)


def _read(response: Response, invoice: object) -> InvoiceRead:
    read = InvoiceRead.model_validate(invoice)
    set_etag(response, etag=etag(read))
    return read


@router.post("/request-approval", response_model=InvoiceRead, responses=TRANSITION)
async def request_approval(invoice_id: uuid.UUID, response: Response, session: SessionDep, principal: Preparer,
                           if_match: IfMatchDep, data: Note | None = None) -> InvoiceRead:
    """draft → pending_approval. Requires `If-Match`."""
    invoice = await service.request_approval(session, invoice_id=invoice_id, principal=principal,
                                             precondition=if_match, note=data.note if data else None)
    return _read(response, invoice)


@router.post("/approve", response_model=InvoiceRead, responses=TRANSITION)
async def approve(invoice_id: uuid.UUID, response: Response, session: SessionDep, outbox: OutboxDep,
                  principal: Approver, if_match: IfMatchDep, settings: SettingsDep,
                  data: Note | None = None) -> InvoiceRead:
    """Approve (maker-checker: never the preparer; above `second_approval_above` two different approvers).
    The last approval moves pending_approval → approved and emits `invoice.approved`. Requires `If-Match`."""
    invoice = await service.approve(session, invoice_id=invoice_id, principal=principal, precondition=if_match,
                                    settings=settings, outbox=outbox, note=data.note if data else None)
    return _read(response, invoice)


@router.post("/return-to-draft", response_model=InvoiceRead, responses=TRANSITION)
async def return_to_draft(invoice_id: uuid.UUID, data: Reason, response: Response, session: SessionDep,
                          principal: Approver, if_match: IfMatchDep) -> InvoiceRead:
    """pending_approval/approved → draft with a reason; approvals are withdrawn. Requires `If-Match`."""
    invoice = await service.return_to_draft(session, invoice_id=invoice_id, principal=principal,
                                            precondition=if_match, reason=data.reason)
    return _read(response, invoice)


@router.post("/issue", response_model=InvoiceRead, responses=TRANSITION)
async def issue(invoice_id: uuid.UUID, response: Response, session: SessionDep, outbox: OutboxDep,
                principal: Issuer, if_match: IfMatchDep) -> InvoiceRead:
    """approved → issued: allocates the gapless number per entity and year, emits `invoice.issued`."""
    invoice = await service.issue(session, invoice_id=invoice_id, principal=principal, precondition=if_match,
                                  outbox=outbox)
    return _read(response, invoice)


@router.post("/cancel", response_model=InvoiceRead, responses=TRANSITION)
async def cancel(invoice_id: uuid.UUID, data: Reason, response: Response, session: SessionDep,
                 outbox: OutboxDep, principal: Canceller, if_match: IfMatchDep) -> InvoiceRead:
    """Cancel before issue (draft, pending_approval, approved), emits `invoice.cancelled`. Requires `If-Match`."""
    invoice = await service.cancel(session, invoice_id=invoice_id, principal=principal, precondition=if_match,
                                   outbox=outbox, reason=data.reason)
    return _read(response, invoice)
