from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import JSONResponse

from o2c_collections.cashapp.models import PaymentStatus
from o2c_collections.cashapp.schemas import PaymentRead
from o2c_collections.deps import SettingsDep
from o2c_collections.payments import batch, imports, service
from o2c_collections.payments.parsers import MAX_FILE_BYTES, FileFormat
from o2c_collections.payments.schemas import BatchRead, ImportRead, PaymentBatch, PaymentCreate, PaymentDetail
from o2c_collections.permissions import ArReader, BankFileImporter, CashBooker
from o2c_common.auth import visible_team
from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams, make_etag, set_etag
from o2c_common.uow import TxDep

router = APIRouter(prefix="/payments", tags=["payments"])
imports_router = APIRouter(prefix="/payment-imports", tags=["payments"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentDetail,
             responses=problem_responses(401, 403, 409, 422))
async def create_payment(data: PaymentCreate, tx: TxDep, _principal: CashBooker, settings: SettingsDep,
                         idem: IdempotencyDep) -> Response:
    """Book a payment with its remittance lines and run cash application on it (payment.received, then
    payment.applied and/or payment.unapplied). A known `bank_reference` is refused with 409."""
    read, version = await service.create(tx, data=data, settings=settings)
    return await idem.respond(tx.session, status_code=201, content=read,
                              headers={"Location": f"/payments/{read.id}",
                                       "ETag": make_etag(entity_id=read.id, version=version)})


@router.post("/batch", response_model=BatchRead, responses=problem_responses(401, 403, 409, 422))
async def create_payments(data: PaymentBatch, tx: TxDep, _principal: CashBooker, settings: SettingsDep,
                          idem: IdempotencyDep) -> Response:
    """Book up to 1,000 payments (each the body of `POST /payments`) in one call, as `POST /payments` would one by
    one and in the order given, with multi-row writes: the answer has one result per payment, by index —
    `created` (with `payment_id` and whether cash application applied it), `duplicate` (its `bank_reference` was
    booked before or earlier in the batch; `payment_id` is that payment) or `problem` (an RFC 9457 problem: not
    valid, with `errors` pointing at `#/payments/<index>/…`, or another team's customer). Safe to retry with the
    same `Idempotency-Key`; resending the same payments with bank references books nothing twice."""
    result = await batch.create_many(tx, data=data, settings=settings)
    return await idem.respond(tx.session, status_code=200, content=result)


@router.get("", response_model=Page[PaymentRead], responses=problem_responses(401, 403, 422))
async def list_payments(tx: TxDep, _principal: ArReader, page: PageParams, status: PaymentStatus | None = None,
                        customer_id: str | None = None) -> Page[PaymentRead]:
    """Payments, newest first, filtered by status (`unapplied` means nothing of it applied yet: the over-payment
    remainders of `partially_applied` payments are in `GET /payments/unapplied`, the unapplied-cash queue)."""
    return await service.list_page(tx, page=page, team=visible_team(tx.actor), status=status,
                                   customer_id=customer_id)


@router.get("/unapplied", response_model=Page[PaymentRead], responses=problem_responses(401, 403, 422))
async def list_unapplied(tx: TxDep, _principal: ArReader, page: PageParams,
                         customer_id: str | None = None) -> Page[PaymentRead]:
    """The unapplied-cash queue: every payment with cash left to apply (`unapplied_amount` > 0: unapplied ones and
    the remainders of partly applied ones, such as over-payments), oldest value date first; vendor agents see
    their team's."""
    return await service.unapplied_page(tx, page=page, team=visible_team(tx.actor), customer_id=customer_id)


@router.get("/{payment_id}", response_model=PaymentDetail, responses=problem_responses(401, 403, 404, 422))
async def get_payment(payment_id: uuid.UUID, response: Response, tx: TxDep, _principal: ArReader) -> PaymentDetail:
    """The payment with its remittance, applications (rule, confidence, explanation) and candidates."""
    read, version = await service.detail(tx, payment_id)
    set_etag(response, etag=make_etag(entity_id=payment_id, version=version))
    return read


@imports_router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportRead,
                     responses={**problem_responses(401, 403, 413, 422),
                                200: {"model": ImportRead, "description": "The same file was imported before"}})
async def import_payments(request: Request, tx: TxDep, _principal: BankFileImporter,
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
    job, new = await imports.start(tx, content=content, file_format=file_format, legal_entity=legal_entity,
                                   filename=filename)
    return JSONResponse(job.model_dump(mode="json"), status_code=202 if new else 200,
                        headers={"Location": f"/payment-imports/{job.id}"})


@imports_router.get("/{import_id}", response_model=ImportRead, responses=problem_responses(401, 403, 404, 422))
async def get_import(import_id: uuid.UUID, tx: TxDep, _principal: BankFileImporter) -> ImportRead:
    """An import's progress and counts: `processed_lines` of `total_lines`, booked, duplicates, auto-applied,
    errors (with the first failing lines)."""
    return await imports.get(tx, import_id)
