"""Cash application by hand: apply a payment's unapplied cash to an invoice, confirm its candidates in one call, or
unapply it (paths under ``/payments``, beside the payments' own routes); the patterns learned per payer
(``/cash-application/patterns``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_collections.cashapp import patterns, service
from o2c_collections.cashapp.schemas import (
    ApplicationRead,
    Confirmation,
    ConfirmedRead,
    ManualApplication,
    PatternRead,
    PaymentRead,
    Reversal,
)
from o2c_collections.deps import IfMatchDep, locked, tagged
from o2c_collections.permissions import ArReader, CashBooker
from o2c_common.auth import visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/payments", tags=["payments"])
patterns_router = APIRouter(prefix="/cash-application/patterns", tags=["payments"])


@router.post("/{payment_id}/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def apply_payment(payment_id: uuid.UUID, data: ManualApplication, response: Response, tx: TxDep,
                        _principal: CashBooker, if_match: IfMatchDep) -> ApplicationRead:
    """Apply unapplied cash to an invoice by hand (rule `manual`). Needs `If-Match`; 409 on over-application."""
    payment = await locked(tx, service.lock, payment_id, if_match)
    created = await service.apply_manually(tx, payment, invoice_id=data.invoice_id, amount=data.amount,
                                           applied_date=data.applied_date, reason=data.reason)
    tagged(response, payment)
    return ApplicationRead.model_validate(created)


@router.post("/{payment_id}/applications/{application_id}/reversal", response_model=PaymentRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def reverse_application(payment_id: uuid.UUID, application_id: uuid.UUID, data: Reversal, response: Response,
                              tx: TxDep, _principal: CashBooker, if_match: IfMatchDep) -> PaymentRead:
    """Unapply: the cash returns to unapplied and the invoice's open amount rises again. Needs `If-Match`."""
    payment = await service.reverse(tx, await locked(tx, service.lock, payment_id, if_match),
                                    application_id=application_id, reason=data.reason,
                                    unapplied_date=data.unapplied_date)
    return PaymentRead.model_validate(tagged(response, payment))


@router.post("/{payment_id}/confirmation", response_model=ConfirmedRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def confirm_candidates(payment_id: uuid.UUID, data: Confirmation, response: Response, tx: TxDep,
                             _principal: CashBooker, if_match: IfMatchDep) -> ConfirmedRead:
    """Confirm candidates of an unapplied payment in one call: each invoice (in the order given; only the payment's
    `candidates`) gets what is open of it, at most what is left of the payment (rule `manual`). With `learn`
    (default), the payer's name and reference formats are remembered for the next payment
    (`GET /cash-application/patterns`). Needs `If-Match`."""
    payment = await locked(tx, service.lock, payment_id, if_match)
    applications, learned = await service.confirm(tx, payment, invoice_ids=data.invoice_ids, reason=data.reason,
                                                  learn=data.learn)
    tagged(response, payment)
    return ConfirmedRead(payment=PaymentRead.model_validate(payment),
                         applications=[ApplicationRead.model_validate(a) for a in applications],
                         learned=[PatternRead.model_validate(p) for p in learned])


@patterns_router.get("", response_model=Page[PatternRead], responses=problem_responses(401, 403, 422))
async def list_patterns(tx: TxDep, _principal: ArReader, page: PageParams,
                        customer_id: str | None = None) -> Page[PatternRead]:
    """What cash application learned from manual applications, oldest first: `alias` (a payer name on bank
    statements taken as the customer) and `reference_format` (how the payer writes invoice numbers), each with the
    example, invoice and payment it was learned from; vendor agents see their team's."""
    return await patterns.page(tx, page=page, customer_id=customer_id, team=visible_team(tx.actor))


@patterns_router.delete("/{pattern_id}", status_code=status.HTTP_204_NO_CONTENT,
                        responses=problem_responses(401, 403, 404, 422))
async def remove_pattern(pattern_id: uuid.UUID, tx: TxDep, _principal: CashBooker) -> Response:
    """Forget a learned pattern (audited with what it was): later payments are read without it."""
    await patterns.remove(tx, pattern_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
