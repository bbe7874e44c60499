from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from fastapi import APIRouter, Request
from pydantic import ValidationError

from o2c_common.errors import UnprocessableEntity, problem_responses
from o2c_common.tx import Tx
from o2c_common.uow import tx_dependency
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.portal import messages, service
from o2c_invoicing.portal.schemas import CallbackOutcome, MessageOutcome, PortalStatus

router = APIRouter(prefix="/portal", tags=["portal callbacks"])

if TYPE_CHECKING:
    CallbackTx: TypeAlias = Tx
else:
    CallbackTx = tx_dependency("system:portal")
    """The callback's unit of work (signed, no bearer token); each status is recorded as ``portal:<channel>``."""


@router.post("/callbacks", response_model=CallbackOutcome, responses=problem_responses(401, 404, 422))
async def callback(request: Request, tx: CallbackTx, settings: SettingsDep) -> CallbackOutcome:
    """A portal reports a status (Peppol-style AB, IP, UQ, CA, RE, AP, PD; SP, PAID). Authenticated by an
    HMAC-SHA256 signature (`X-Portal-Signature: sha256=<hex>` over `"<X-Portal-Timestamp>.<body>"`, shared
    secret) instead of a bearer token: 401 `signature-missing`, `signature-invalid` or `signature-stale`. A portal
    with a secret of its own (`INVOICING_PORTAL_CALLBACK_SECRETS`) names itself in `X-Portal-Id` and reaches
    only its own submissions. 404 while the submission is not known yet (the portal retries)."""
    body = await request.body()
    caller = service.authenticate(settings, headers=request.headers, body=body)
    try:
        report = PortalStatus.model_validate_json(body)
    except ValidationError as exc:
        raise UnprocessableEntity("the callback body is not a portal status",
                                  extensions={"errors": exc.errors(include_url=False, include_input=False)}) from exc
    outcome, invoice = await service.apply_status(tx, report=report, via="callback", caller=caller)
    return CallbackOutcome(outcome=outcome, invoice_status=invoice.status)


@router.post("/messages", response_model=MessageOutcome, responses=problem_responses(401, 404, 422),
             openapi_extra={"requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}}})
async def status_message(request: Request, tx: CallbackTx, settings: SettingsDep) -> MessageOutcome:
    """A portal reports a status with a standard message instead of the JSON callback: a Peppol Invoice
    Response 3 (UBL ApplicationResponse: AB, IP, UQ, CA, RE, AP, PD with OPStatusReason / OPStatusAction
    codes) or a cXML StatusUpdateRequest with an InvoiceStatus. Signed like the callbacks (HMAC-SHA256,
    `X-Portal-Signature` / `X-Portal-Timestamp`). 422 `status-message-invalid` names the element that does not
    follow the standard; 404 while no submission of the named invoice is known (the portal retries)."""
    body = await request.body()
    caller = service.authenticate(settings, headers=request.headers, body=body)
    return await messages.apply_message(tx, message=messages.read(body), caller=caller)
