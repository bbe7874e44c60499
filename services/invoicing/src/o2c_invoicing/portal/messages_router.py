from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from o2c_common.errors import problem_responses
from o2c_common.uow import OutboxDep, SessionDep
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.portal import messages, service
from o2c_invoicing.submissions.reasons import classify
from o2c_invoicing.submissions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER

router = APIRouter(prefix="/portal", tags=["portal callbacks"])


class MessageOutcome(BaseModel):
    outcome: Literal["applied", "duplicate", "ignored"]
    invoice_status: str
    invoice_number: str
    source: str
    portal_status_code: str
    portal_reason_code: str | None
    reason: str | None
    root_cause: str | None


@router.post("/messages", response_model=MessageOutcome, responses=problem_responses(401, 404, 422),
             openapi_extra={"requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}}})
async def status_message(request: Request, session: SessionDep, outbox: OutboxDep,
                         settings: SettingsDep) -> MessageOutcome:
    """A portal reports a status with a standard message instead of the JSON callback: a Peppol Invoice
    Response 3 (UBL ApplicationResponse: AB, IP, UQ, CA, RE, AP, PD with OPStatusReason / OPStatusAction
    codes) or a cXML StatusUpdateRequest with an InvoiceStatus. Signed like the callbacks (HMAC-SHA256,
    `X-Portal-Signature` / `X-Portal-Timestamp`). 422 `status-message-invalid` names the element that does not
    follow the standard; 404 while no submission of the named invoice is known (the portal retries)."""
    body = await request.body()
    service.verify_signature(secret=settings.portal_callback_secret.get_secret_value(),
                             tolerance_s=settings.portal_callback_tolerance_s,
                             timestamp=request.headers.get(TIMESTAMP_HEADER),
                             signature=request.headers.get(SIGNATURE_HEADER), body=body)
    message = messages.read(body)
    outcome, invoice, message = await messages.apply_message(session, message=message, outbox=outbox)
    reason, root_cause = classify(message.reason_code) if message.status == "RE" else (None, None)
    return MessageOutcome(outcome=outcome, invoice_status=invoice.status, invoice_number=message.invoice_number,
                          source=message.source, portal_status_code=message.status,
                          portal_reason_code=message.reason_code, reason=reason, root_cause=root_cause)
