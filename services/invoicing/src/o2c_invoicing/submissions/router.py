from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Request, Response

from o2c_common.auth import Principal
from o2c_common.errors import problem_responses
from o2c_common.http import IfMatchDep
from o2c_common.uow import TxDep
from o2c_invoicing.channels.errors import PortalDeliveryFailed
from o2c_invoicing.deps import ClientDep, SettingsDep
from o2c_invoicing.invoices import failures
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.router import transition
from o2c_invoicing.invoices.schemas import InvoiceRead
from o2c_invoicing.permissions import Issuer, Reader
from o2c_invoicing.submissions import service
from o2c_invoicing.submissions.schemas import Resubmission, SubmissionRead

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["submissions"])

TRANSITION = problem_responses(401, 403, 404, 409, 412, 422, 428, 502)


@asynccontextmanager
async def failures_recorded(request: Request, principal: Principal, invoice_id: uuid.UUID,
                            step: str) -> AsyncIterator[None]:
    """A refused or undelivered submission is recorded (own transaction) before its problem is answered, so the
    invoice waits in a work queue with the reason."""
    transactions = request.app.state.transactions
    try:
        yield
    except PortalRulesViolated as exc:
        await failures.record(transactions, principal, invoice_id=invoice_id, kind="portal_rules", step=step,
                              detail=str(exc.detail), violations=exc.extensions["violations"])
        raise
    except PortalDeliveryFailed as exc:
        kind: failures.FailureKind = "email_failed" if exc.extensions.get("channel") == "email" \
            else "delivery_failed"
        await failures.record(transactions, principal, invoice_id=invoice_id, kind=kind, step=step,
                              detail=str(exc.detail))
        raise


@router.post("/submit", response_model=InvoiceRead, responses=TRANSITION)
async def submit(invoice_id: uuid.UUID, request: Request, response: Response, tx: TxDep, principal: Issuer,
                 if_match: IfMatchDep, settings: SettingsDep, client: ClientDep) -> InvoiceRead:
    """issued → submitted: validates the portal rules (422 `portal-rules-violated` listing every violation),
    delivers cXML/UBL to the portal or e-mails it (502 when the channel refuses), emits `invoice.submitted`.
    A refusal or a failed delivery is recorded (`invoice.submission_failed`) and the invoice waits in the
    `submission_refused` or `delivery_failed` work queue with the reason; mend it and submit again."""
    async with failures_recorded(request, principal, invoice_id, "submission"):
        return await transition(tx, invoice_id, if_match, response, service.submit, settings=settings,
                                client=client)


@router.post("/resubmit", response_model=InvoiceRead, responses=TRANSITION)
async def resubmit(invoice_id: uuid.UUID, data: Resubmission, request: Request, response: Response, tx: TxDep,
                   principal: Issuer, if_match: IfMatchDep, settings: SettingsDep,
                   client: ClientDep) -> InvoiceRead:
    """portal_rejected → resubmitted (attempt n+1) after correction; emits `invoice.resubmitted`. An issued
    invoice whose submission was refused or not delivered may be resubmitted too (as its first delivery, when
    nothing reached the portal yet)."""
    async with failures_recorded(request, principal, invoice_id, "submission"):
        return await transition(tx, invoice_id, if_match, response, service.resubmit, settings=settings,
                                client=client, correction_note=data.correction_note, po_number=data.po_number)


@router.get("/submissions", response_model=list[SubmissionRead], responses=problem_responses(401, 403, 404))
async def submissions(invoice_id: uuid.UUID, tx: TxDep, principal: Reader) -> list[SubmissionRead]:
    """Every submission attempt of the invoice (its portal statuses are in `/history`, per attempt)."""
    return [SubmissionRead.model_validate(s) for s in await service.submissions(tx, invoice_id)]
