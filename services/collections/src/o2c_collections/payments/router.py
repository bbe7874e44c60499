from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from o2c_collections.application import service as application
from o2c_collections.deps import IfMatchDep, SettingsDep
from o2c_collections.payments import imports, service
from o2c_collections.payments.parsers import MAX_FILE_BYTES, FileFormat
from o2c_collections.payments.schemas import (
    ApplicationRead,
    ImportRead,
    ManualApplication,
    PaymentCreate,
    PaymentDetail,
    PaymentRead,
    Reversal,
)
from o2c_common.auth import CurrentPrincipal, Principal, require_roles, visible_team
from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams, make_etag, set_etag
from o2c_common.uow import OutboxDep, SessionDep

router = APIRouter(prefix="/payments", tags=["payments"])
imports_router = APIRouter(prefix="/payment-imports", tags=["payments"])
CASH_ROLES = ("ar_supervisor", "collector", "vendor_agent", "integration")
CashWorker = Annotated[Principal, Depends(require_roles(*CASH_ROLES))]
PaymentStatus = Literal["unapplied", "partially_applied", "applied"]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentDetail,
             responses=problem_responses(401, 403, 409, 422))
async def create_payment(data: PaymentCreate, session: SessionDep, outbox: OutboxDep, principal: CashWorker,
                         settings: SettingsDep, idem: IdempotencyDep) -> Response:
    """Book a payment with its remittance lines and run cash application on it (payment.received, then
    payment.applied and/or payment.unapplied). A known `bank_reference` is refused with 409."""
    read, version = await service.create(session, data=data, principal=principal, outbox=outbox, settings=settings)
    return await idem.respond(session, status_code=201, content=read,
                              headers={"Location": f"/payments/{read.id}",
                                       "ETag": make_etag(entity_id=read.id, version=version)})


@router.get("", response_model=Page[PaymentRead], responses=problem_responses(401, 403, 422))
async def list_payments(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                        status: PaymentStatus | None = None, customer_id: str | None = None) -> Page[PaymentRead]:
    """Payments, newest first; `status=unapplied` is the unapplied-cash queue."""
    return await service.list_page(session, page=page, team=visible_team(principal), status=status,
                                   customer_id=customer_id)


@router.get("/{payment_id}", response_model=PaymentDetail, responses=problem_responses(401, 403, 404, 422))
async def get_payment(payment_id: uuid.UUID, response: Response, session: SessionDep,
                      principal: CurrentPrincipal) -> PaymentDetail:
    """The payment with its remittance, applications (rule, confidence, explanation) and candidates."""
    read, version = await service.detail(session, payment_id=payment_id, principal=principal)
    set_etag(response, etag=make_etag(entity_id=payment_id, version=version))
    return read


@router.post("/{payment_id}/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def apply_payment(payment_id: uuid.UUID, data: ManualApplication, response: Response, session: SessionDep,
                        outbox: OutboxDep, principal: CashWorker, if_match: IfMatchDep) -> ApplicationRead:
    """Apply unapplied cash to an invoice by hand (rule `manual`). Needs `If-Match`; 409 on over-application."""
    created = await application.apply_manually(
        session, payment_id=payment_id, invoice_id=data.invoice_id, amount=data.amount,
        applied_date=data.applied_date, reason=data.reason, principal=principal, precondition=if_match,
        outbox=outbox)
    payment = await application.locked_payment(session, payment_id=payment_id, principal=principal)
    set_etag(response, etag=application.etag(payment))
    return ApplicationRead.model_validate(created)


@router.post("/{payment_id}/applications/{application_id}/reversal", response_model=PaymentRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def reverse_application(payment_id: uuid.UUID, application_id: uuid.UUID, data: Reversal, response: Response,
                              session: SessionDep, outbox: OutboxDep, principal: CashWorker,
                              if_match: IfMatchDep) -> PaymentRead:
    """Unapply: the cash returns to unapplied and the invoice's open amount rises again. Needs `If-Match`."""
    payment = await application.reverse(session, payment_id=payment_id, application_id=application_id,
                                        reason=data.reason, unapplied_date=data.unapplied_date,
                                        principal=principal, precondition=if_match, outbox=outbox)
    set_etag(response, etag=application.etag(payment))
    return PaymentRead.model_validate(payment)


@imports_router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportRead,
                     responses={**problem_responses(401, 403, 413, 422),
                                200: {"model": ImportRead, "description": "The same file was imported before"}})
async def import_payments(request: Request, session: SessionDep, principal: CashWorker,
                          file_format: Annotated[FileFormat, Query(alias="format")],
                          legal_entity: Annotated[str, Query(min_length=1, max_length=20)],
                          filename: Annotated[str | None, Query(max_length=255)] = None,
                          _body: Annotated[bytes, Body(media_type="application/octet-stream")] = b"") -> Response:
    """Import a bank file (the raw file as the body): `csv`, `camt053`, `camt054` or `bai2`. The file is checked
    whole first: a malformed file is refused (422) and books nothing. Otherwise the answer is the import job (202,
    `Location: /payment-imports/{id}`), whose lines are booked in the background: follow `processed_lines` of
    `total_lines` there. The same file again answers its first import (200, `duplicate_file: true`); payments seen
    before are counted as duplicates, not booked."""
    content = await request.body()
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed("the file is larger than 20 MiB", errors=[{"detail": "too large", "pointer": "#"}])
    job, new = await imports.start(session, content=content, file_format=file_format, legal_entity=legal_entity,
                                   filename=filename, principal=principal)
    return JSONResponse(job.model_dump(mode="json"), status_code=202 if new else 200,
                        headers={"Location": f"/payment-imports/{job.id}"})


@imports_router.get("/{import_id}", response_model=ImportRead, responses=problem_responses(401, 403, 404, 422))
async def get_import(import_id: uuid.UUID, session: SessionDep, principal: CashWorker) -> ImportRead:
    """An import's progress and counts: `processed_lines` of `total_lines`, booked, duplicates, auto-applied,
    errors (with the first failing lines)."""
    return await imports.get(session, import_id=import_id)
