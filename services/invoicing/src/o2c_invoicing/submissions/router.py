from __future__ import annotations

import uuid
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request, Response

from o2c_common.auth import Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.http import set_etag
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.deps import IfMatchDep, SettingsDep
from o2c_invoicing.invoices.schemas import InvoiceRead
from o2c_invoicing.invoices.service import etag, get
from o2c_invoicing.submissions import service
from o2c_invoicing.submissions.schemas import Resubmission, SubmissionRead

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["submissions"])

Submitter = Annotated[Principal, Depends(require_roles("billing_specialist", "billing_approver", "vendor_agent",
                                                       "integration"))]
Reader = Annotated[Principal, Depends(require_roles("billing_specialist", "billing_approver", "ar_supervisor",
                                                    "vendor_agent", "integration", "viewer"))]
TRANSITION = problem_responses(401, 403, 404, 409, 412, 422, 428, 502)


def portal_client(request: Request) -> httpx.AsyncClient:
    """The app's shared client for portal deliveries (opened and closed by the app's lifespan)."""
    client: httpx.AsyncClient = request.app.state.portal_client
    return client


ClientDep = Annotated[httpx.AsyncClient, Depends(portal_client)]


def _read(response: Response, invoice: object) -> InvoiceRead:
    read = InvoiceRead.model_validate(invoice)
    set_etag(response, etag=etag(read))
    return read


@router.post("/submit", response_model=InvoiceRead, responses=TRANSITION)
async def submit(invoice_id: uuid.UUID, response: Response, session: SessionDep, outbox: OutboxDep,
                 principal: Submitter, if_match: IfMatchDep, settings: SettingsDep, client: ClientDep) -> InvoiceRead:
    """issued → submitted: validates the portal rules (422 `portal-rules-violated` listing every violation),
    delivers cXML/UBL to the portal or e-mails it (502 when the channel refuses), emits `invoice.submitted`."""
    invoice = await service.submit(session, invoice_id=invoice_id, principal=principal, precondition=if_match,
                                   settings=settings, outbox=outbox, client=client)
    return _read(response, invoice)


@router.post("/resubmit", response_model=InvoiceRead, responses=TRANSITION)
async def resubmit(invoice_id: uuid.UUID, data: Resubmission, response: Response, session: SessionDep,
                   outbox: OutboxDep, principal: Submitter, if_match: IfMatchDep, settings: SettingsDep,
                   client: ClientDep) -> InvoiceRead:
    """portal_rejected → resubmitted (attempt n+1) after correction; emits `invoice.resubmitted`."""
    invoice = await service.resubmit(session, invoice_id=invoice_id, principal=principal, precondition=if_match,
                                     settings=settings, outbox=outbox, client=client,
                                     correction_note=data.correction_note, po_number=data.po_number)
    return _read(response, invoice)


@router.get("/submissions", response_model=list[SubmissionRead], responses=problem_responses(401, 403, 404))
async def submissions(invoice_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[SubmissionRead]:
    """Every submission attempt of the invoice (its portal statuses are in `/history`, per attempt)."""
    invoice = await get(session, invoice_id=invoice_id, principal=principal)
    return [SubmissionRead.model_validate(s) for s in await service.submissions(session, invoice=invoice)]
