from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Concatenate, ParamSpec

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict

from o2c_common.auth import Principal, Role
from o2c_common.entities import version_etag
from o2c_common.errors import Forbidden, problem_responses
from o2c_common.http import IdempotencyDep, IfMatchDep, Page, PageParams, Precondition, set_etag
from o2c_common.tx import Tx
from o2c_common.uow import TransactionsDep, TxDep
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.invoices import failures, lifecycle, service
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.invoices.schemas import (
    ApproveRequest,
    HistoricalInvoiceCreate,
    InvoiceCreate,
    InvoiceRead,
    IssueRequest,
    Note,
    OverrideFields,
    Reason,
)
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.permissions import Approver, Canceller, Importer, Issuer, Preparer, Reader

router = APIRouter(prefix="/invoices", tags=["invoices"])
lifecycle_router = APIRouter(prefix="/invoices/{invoice_id}", tags=["invoice lifecycle"])
TRANSITION = problem_responses(401, 403, 404, 409, 412, 422, 428)
P = ParamSpec("P")


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    submission_id: uuid.UUID | None
    attempt: int | None
    from_status: InvoiceStatus | None
    to_status: InvoiceStatus
    portal_status_code: str | None
    portal_reason_code: str | None
    reason: str | None
    root_cause: str | None
    note: str | None
    actor: str
    at: datetime


async def locked(tx: Tx, invoice_id: uuid.UUID, if_match: Precondition) -> Invoice:
    """The invoice locked for a transition, once the caller's If-Match matches it (428 missing, 412 stale)."""
    invoice = await service.lock(tx, invoice_id)
    if_match(version_etag(invoice))
    return invoice


def read_with_etag(response: Response, invoice: Invoice) -> InvoiceRead:
    read = InvoiceRead.model_validate(invoice)
    set_etag(response, etag=version_etag(read))
    return read


async def transition(tx: Tx, invoice_id: uuid.UUID, if_match: Precondition, response: Response,
                     verb: Callable[Concatenate[Tx, Invoice, P], Awaitable[object]], /,
                     *args: P.args, **kwargs: P.kwargs) -> InvoiceRead:
    """A state transition at the edge: lock the invoice, check If-Match, apply ``verb(tx, invoice, ...)``, answer
    with the new ETag."""
    invoice = await locked(tx, invoice_id, if_match)
    await verb(tx, invoice, *args, **kwargs)
    return read_with_etag(response, invoice)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InvoiceRead,
             responses=problem_responses(400, 401, 403, 409, 422))
async def create_invoice(data: InvoiceCreate, tx: TxDep, principal: Preparer, idem: IdempotencyDep) -> Response:
    """Prepare a draft invoice (totals computed server-side); approve and issue it with the lifecycle actions.

    Send an `Idempotency-Key` header to make retries safe: the same key and body replay the first answer."""
    invoice = await service.create_draft(tx, data)
    return await idem.respond(tx.session, status_code=201, content=invoice,
                              headers={"Location": f"/invoices/{invoice.id}", "ETag": version_etag(invoice)})


@router.post("/historical", status_code=status.HTTP_201_CREATED, response_model=InvoiceRead,
             responses=problem_responses(400, 401, 403, 409, 422) | {200: {"model": InvoiceRead}})
async def import_historical_invoice(data: HistoricalInvoiceCreate, tx: TxDep, principal: Importer,
                                    idem: IdempotencyDep) -> Response:
    """Integration only: load an invoice issued elsewhere as issued, with its own number and dates (no
    maker-checker: it was approved where it was issued; the importer is recorded). Emits `invoice.issued`.

    With a client-chosen `id`, loading the same id and number again answers 200 with the stored invoice and
    writes nothing (idempotent replays); another invoice with the number (or id) is a 409."""
    invoice, created = await service.import_historical(tx, data)
    return await idem.respond(tx.session, status_code=201 if created else 200,
                              content=InvoiceRead.model_validate(invoice),
                              headers={"Location": f"/invoices/{invoice.id}", "ETag": version_etag(invoice)})


@router.get("", response_model=Page[InvoiceRead], responses=problem_responses(401, 403, 422))
async def list_invoices(tx: TxDep, _principal: Reader, page: PageParams, customer_id: str | None = None,
                        status: str | None = None) -> Page[InvoiceRead]:
    """Invoices, newest first; vendor agents see only their team's."""
    return await service.list_page(tx, page=page, customer_id=customer_id, status=status)


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(401, 403, 404))
async def get_invoice(invoice_id: uuid.UUID, response: Response, tx: TxDep, _principal: Reader) -> InvoiceRead:
    return read_with_etag(response, await service.get(tx, invoice_id))


@router.get("/{invoice_id}/history", response_model=list[StatusChangeRead], responses=problem_responses(401, 403, 404))
async def invoice_history(invoice_id: uuid.UUID, tx: TxDep, _principal: Reader) -> list[StatusChangeRead]:
    """Every status change, with the submission attempt and portal codes of portal statuses."""
    return [StatusChangeRead.model_validate(r) for r in await service.history(tx, invoice_id)]


@lifecycle_router.post("/request-approval", response_model=InvoiceRead, responses=TRANSITION)
async def request_approval(invoice_id: uuid.UUID, response: Response, tx: TxDep, principal: Preparer,
                           if_match: IfMatchDep, data: Note | None = None) -> InvoiceRead:
    """draft → pending_approval. Requires `If-Match`."""
    return await transition(tx, invoice_id, if_match, response, lifecycle.request_approval,
                            note=data.note if data else None)


def override_of(data: OverrideFields | None, principal: Principal) -> lifecycle.Override | None:
    """The caller's override of the portal rules: approvers (and AR supervisors) only."""
    if data is None or not data.override_portal_rules:
        return None
    if not principal.has_role(Role.BILLING_APPROVER.value, Role.AR_SUPERVISOR.value, Role.ADMIN.value):
        raise Forbidden("only an approver may override the customer's portal rules", type="override-not-allowed",
                        title="Override not allowed")
    assert data.override_reason is not None
    return lifecycle.Override(reason=data.override_reason)


@lifecycle_router.post("/approve", response_model=InvoiceRead, responses=TRANSITION)
async def approve(invoice_id: uuid.UUID, request: Request, response: Response, tx: TxDep, principal: Approver,
                  if_match: IfMatchDep, settings: SettingsDep, data: ApproveRequest | None = None) -> InvoiceRead:
    """Approve (maker-checker: never the preparer; above the invoice currency's `second_approval_above` two
    different approvers). The customer's portal rules are checked first: 422 `portal-rules-violated` listing
    each, unless `override_portal_rules` with an `override_reason` (audited). The last approval moves
    pending_approval → approved and emits `invoice.approved`. Requires `If-Match`."""
    try:
        return await transition(tx, invoice_id, if_match, response, lifecycle.approve, settings=settings,
                                 note=data.note if data else None, override=override_of(data, principal))
    except PortalRulesViolated as exc:
        await failures.record(request.app.state.transactions, principal, invoice_id=invoice_id,
                              kind="portal_rules", step="approval", detail=str(exc.detail),
                              violations=exc.extensions["violations"])
        raise


@lifecycle_router.post("/return-to-draft", response_model=InvoiceRead, responses=TRANSITION)
async def return_to_draft(invoice_id: uuid.UUID, data: Reason, response: Response, tx: TxDep, principal: Approver,
                          if_match: IfMatchDep) -> InvoiceRead:
    """pending_approval/approved → draft with a reason; approvals are withdrawn. Requires `If-Match`."""
    return await transition(tx, invoice_id, if_match, response, lifecycle.return_to_draft, reason=data.reason)


@lifecycle_router.post("/issue", response_model=InvoiceRead, responses=TRANSITION)
async def issue(invoice_id: uuid.UUID, request: Request, response: Response, tx: TxDep, principal: Issuer,
                if_match: IfMatchDep, transactions: TransactionsDep, data: IssueRequest | None = None) -> InvoiceRead:
    """approved → issued: allocates the gapless number per entity and year, sets the billing deadline from the
    customer's cadence, emits `invoice.issued`. An invoice its portal would reject (the number's format checked
    once it is taken) is refused with 422 `portal-rules-violated` and waits in the `submission_refused`
    work queue, unless an approver sends `override_portal_rules` with an `override_reason` (audited)."""
    override = override_of(data, principal)
    if override is None:  # most issues: one statement, committed as it ends (no lock held across this code)
        async with transactions.each_statement(principal) as once:
            invoice, profile = await service.with_profile(once, invoice_id)
            if_match(version_etag(invoice))
            if await lifecycle.issue_at_once(once, invoice, profile):
                return read_with_etag(response, invoice)
    try:
        return await transition(tx, invoice_id, if_match, response, lifecycle.issue, override=override)
    except PortalRulesViolated as exc:
        await failures.record(request.app.state.transactions, principal, invoice_id=invoice_id,
                              kind="portal_rules", step="issue", detail=str(exc.detail),
                              violations=exc.extensions["violations"])
        raise


@lifecycle_router.post("/cancel", response_model=InvoiceRead, responses=TRANSITION)
async def cancel(invoice_id: uuid.UUID, data: Reason, response: Response, tx: TxDep, principal: Canceller,
                 if_match: IfMatchDep) -> InvoiceRead:
    """Cancel before issue (draft, pending_approval, approved), emits `invoice.cancelled`. Requires `If-Match`."""
    return await transition(tx, invoice_id, if_match, response, lifecycle.cancel, reason=data.reason)
