from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter

from o2c_collections.permissions import CreditReader, Supervisor
from o2c_collections.risk import service
from o2c_collections.risk.schemas import InvoiceRisk, RiskModelRead, TrainingRequest
from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep

router = APIRouter(prefix="/risk", tags=["risk"])


@router.post("/model/training", response_model=RiskModelRead, status_code=201,
             responses=problem_responses(401, 403, 422))
async def train(data: TrainingRequest, tx: TxDep, _principal: Supervisor) -> RiskModelRead:
    """Train the late-payment model on the invoices closed before `as_of` (today): logistic regression over the
    customer's past late share and days late, history length, relative amount, terms, month-end due date, open items
    and disputes. Stored with its metrics and audited; the latest model predicts."""
    return await service.train(tx, as_of=data.as_of or tx.now().date())


@router.get("/model", response_model=RiskModelRead, responses=problem_responses(401, 403, 409))
async def get_model(tx: TxDep, _principal: CreditReader) -> RiskModelRead:
    """The late-payment model in use (the latest trained): coefficients and metrics."""
    return await service.current(tx)


@router.get("/invoices/{invoice_id}", response_model=InvoiceRisk, responses=problem_responses(401, 403, 404, 409, 422))
async def get_invoice_risk(invoice_id: uuid.UUID, tx: TxDep, _principal: CreditReader,
                           as_of: date | None = None) -> InvoiceRisk:
    """An open invoice's probability of being paid late and its expected days late, with the features behind them
    (vendor agents: their team's invoices)."""
    return await service.invoice_risk(tx, invoice_id=invoice_id, as_of=as_of or tx.now().date())
