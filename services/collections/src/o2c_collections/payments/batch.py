"""``POST /payments/batch``: up to 1,000 payments, each the body of ``POST /payments``, booked in one transaction
by the bulk path (:mod:`bulk`) and answered row by row: ``created``, ``duplicate`` (its bank reference was booked
before, or earlier in the batch) or ``problem`` (not valid, or not the booker's team). Rows without a bank
reference are never duplicates, as with ``POST /payments``. When the bulk write fails the batch books nothing of
it and the rows are booked one by one instead, each failing row answered with its problem."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from o2c_collections.cashapp.engine import Line
from o2c_collections.config import CollectionsSettings
from o2c_collections.payments import repository
from o2c_collections.payments.bulk import Outcome, RowStatus, book_chunk, duplicate
from o2c_collections.payments.parsers import ParsedPayment
from o2c_collections.payments.schemas import BatchRead, BatchRow, PaymentBatch, PaymentCreate
from o2c_collections.payments.service import book, dedupe_key
from o2c_common.errors import (
    DomainError,
    ProblemDetail,
    UnprocessableEntity,
    ValidationFailed,
    problem_body,
    validation_error_items,
)
from o2c_common.events.contracts.collections_terms import HISTORY_IMPORT, PaymentSource
from o2c_common.runtime import collection_paused
from o2c_common.tx import Tx

log = structlog.get_logger("o2c.collections.payments")


def parsed_of(data: PaymentCreate) -> ParsedPayment:
    return ParsedPayment(bank_reference=data.bank_reference, value_date=data.value_date, currency=data.currency,
                         amount=data.amount, customer_id=data.customer_id, payer_name=data.payer_name,
                         lines=tuple(Line(r.reference, r.amount, r.reason_code) for r in data.remittance))


async def create_many(tx: Tx, *, data: PaymentBatch, settings: CollectionsSettings) -> BatchRead:
    results: list[BatchRow | None] = [None] * len(data.payments)
    valid: list[tuple[int, PaymentCreate]] = []
    for n, body in enumerate(data.payments):
        try:
            valid.append((n, PaymentCreate.model_validate(body)))
        except ValidationError as exc:
            errors = [{**e, "pointer": f"#/payments/{n}{(e.get('pointer') or '#')[1:]}"}
                      for e in validation_error_items(exc.errors())]
            results[n] = _row(n, Outcome(RowStatus.PROBLEM, problem=ValidationFailed(
                f"payment {n} is not valid", errors=errors)))
    rows = [parsed_of(p) for _, p in valid]
    keys = [None if p.bank_reference else f"api:{uuid.uuid4()}" for _, p in valid]
    entities = [p.legal_entity for _, p in valid]
    source = HISTORY_IMPORT if data.historical else "api"
    try:
        with collection_paused():  # the batch's rows, items and events stay alive until it writes them
            async with tx.session.begin_nested():
                outcomes = await book_chunk(tx, rows, legal_entity=entities, source=source, import_id=None,
                                            settings=settings, keys=keys)
    except Exception as exc:  # any failure: one by one names the failing rows
        log.warning("payment_batch_failed", rows=len(rows), exc_info=exc)
        outcomes = [await _one(tx, row, key=key, legal_entity=entity, source=source, settings=settings)
                    for row, key, entity in zip(rows, keys, entities, strict=True)]
    for (n, _), outcome in zip(valid, outcomes, strict=True):
        results[n] = _row(n, outcome)
    answered = [r for r in results if r is not None]
    return BatchRead(created=sum(r.status == RowStatus.CREATED for r in answered),
                     duplicates=sum(r.status == RowStatus.DUPLICATE for r in answered),
                     problems=sum(r.status == RowStatus.PROBLEM for r in answered), results=answered)


async def _one(tx: Tx, row: ParsedPayment, *, key: str | None, legal_entity: str, source: PaymentSource,
               settings: CollectionsSettings) -> Outcome:
    try:
        async with tx.session.begin_nested():
            booked = await book(tx, parsed=row, legal_entity=legal_entity, source=source, import_id=None,
                                settings=settings, key=key)
    except DomainError as exc:
        return Outcome(RowStatus.PROBLEM, problem=exc)
    except DBAPIError as exc:
        log.warning("payment_batch_row_failed", exc_info=exc)
        return Outcome(RowStatus.PROBLEM, problem=UnprocessableEntity(
            "the payment could not be stored: a value is too long, out of range or not allowed"))
    if booked.payment is None:
        earlier = await repository.by_dedupe_key(tx.session, key=key or dedupe_key(legal_entity, row))
        return duplicate(tx, earlier.id, earlier.owning_team) if earlier else Outcome(RowStatus.DUPLICATE)
    return Outcome(RowStatus.CREATED, booked.payment.id, booked.applied)


def _row(n: int, outcome: Outcome) -> BatchRow:
    return BatchRow(index=n, status=outcome.status, payment_id=outcome.payment_id, applied=outcome.applied,
                    problem=_problem(outcome.problem) if outcome.problem else None)


def _problem(exc: DomainError) -> ProblemDetail:
    body: dict[str, Any] = problem_body(status=exc.status, type_=exc.type, title=exc.title, detail=exc.detail,
                                        extensions=exc.extensions)
    return ProblemDetail.model_validate(body)
