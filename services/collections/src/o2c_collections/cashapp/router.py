"""Cash application by hand: apply a payment's unapplied cash to an invoice, or unapply it (paths under
``/payments``, beside the payments' own routes)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_collections.cashapp import service
from o2c_collections.cashapp.schemas import ApplicationRead, ManualApplication, PaymentRead, Reversal
from o2c_collections.deps import IfMatchDep, locked, tagged
from o2c_collections.permissions import CashBooker
from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep

router = APIRouter(prefix="/payments", tags=["payments"])


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
