"""Payment risk: a late-payment model trained from the tenant's own settled invoices (risk/model.py states the
model and features), stored with its metrics (risk_models, audited), and a prediction per open invoice from the
latest model: GET /risk/invoices/{id}, the collector worklist and the credit risk factors."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from o2c_collections.risk import model as m, repository
from o2c_collections.risk.models import RiskModel
from o2c_collections.risk.schemas import Coefficient, CustomerRisk, InvoiceRisk, RiskModelRead
from o2c_common.auth import ensure_team_access
from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.tx import Tx

MIN_SETTLED = 20  # fewer settled invoices (or only one outcome) teach nothing
PLACES, DAYS = Decimal("0.001"), Decimal("0.1")


class NoRiskModel(Conflict):
    type = "no-risk-model"
    title = "No late-payment model has been trained yet"


def _q(value: float, places: Decimal = PLACES) -> Decimal:
    return Decimal(str(value)).quantize(places, ROUND_HALF_UP)


def read(row: RiskModel) -> RiskModelRead:
    return RiskModelRead(
        id=row.id, trained_at=row.trained_at, trained_by=row.trained_by, as_of=row.as_of, trained_on=row.trained_on,
        intercept=_q(row.coefficients[0]),
        coefficients=[Coefficient(feature=f, coefficient=_q(c)) for f, c in zip(row.features, row.coefficients[1:],
                                                                                strict=True)],
        late_share=_q(row.base_late_share), auc=_q(row.metrics["auc"]), baseline_auc=_q(row.metrics["baseline_auc"]),
        holdout_auc=_q(row.metrics["holdout_auc"]) if row.metrics.get("holdout_auc") is not None else None)


def _fitted(row: RiskModel) -> m.Model:
    return m.Model(coefficients=list(row.coefficients), base_late_share=row.base_late_share,
                   base_days_late=row.base_days_late, base_days_when_late=row.base_days_when_late,
                   trained_on=row.trained_on)


async def train(tx: Tx, *, as_of: date) -> RiskModelRead:
    """Fits the model on every invoice closed before ``as_of``; 422 when there are too few or one outcome only."""
    history = [m.Settled(customer_id=r.customer_id, issue_date=r.issue_date, due_date=r.due_date,
                         settled_date=r.closed_on, amount=float(r.original_amount), disputed=bool(r.disputed))
               for r in await repository.settled(tx.session, as_of=as_of)]
    late = sum(1 for s in history if s.days_late > 0)
    if len(history) < MIN_SETTLED or late in (0, len(history)):
        raise UnprocessableEntity(f"{len(history)} invoices closed before {as_of}, {late} of them late: a model needs "
                                  f"at least {MIN_SETTLED} with both on-time and late ones")
    fitted = m.train(history)
    xs, ys = m.design(history, base_late_share=fitted.base_late_share, base_days_late=fitted.base_days_late)
    metrics: dict[str, float | None] = {"auc": m.auc([fitted.probability(x) for x in xs], ys),
                                        "baseline_auc": m.auc([x[0] for x in xs], ys), "late": late,
                                        "holdout_auc": _holdout_auc(xs, ys)}
    row = await repository.add(tx.session, RiskModel(
        id=uuid.uuid4(), trained_at=tx.now(), trained_by=tx.actor.subject, as_of=as_of, trained_on=len(history),
        features=list(m.FEATURES), coefficients=fitted.coefficients, base_late_share=fitted.base_late_share,
        base_days_late=fitted.base_days_late, base_days_when_late=fitted.base_days_when_late, metrics=metrics))
    result = read(row)
    await tx.audit("risk.model_trained", entity_type="risk_model", entity_id=row.id,
                   after={"as_of": as_of, "trained_on": len(history), "auc": result.auc,
                          "holdout_auc": result.holdout_auc,
                          "baseline_auc": result.baseline_auc,
                          "coefficients": {c.feature: c.coefficient for c in result.coefficients}})
    return result


def _holdout_auc(xs: list[list[float]], ys: list[int]) -> float | None:
    """AUC on the latest fifth of the invoices (issue date order) of a fit on the earlier four fifths; None when
    the latest fifth has one outcome only."""
    cut = len(xs) * 4 // 5
    if len(set(ys[cut:])) < 2 or len(set(ys[:cut])) < 2:
        return None
    coefficients = m.fit_logistic(xs[:cut], ys[:cut])
    early = m.Model(coefficients=coefficients, base_late_share=0, base_days_late=0, base_days_when_late=0)
    return m.auc([early.probability(x) for x in xs[cut:]], ys[cut:])


async def current(tx: Tx) -> RiskModelRead:
    row = await repository.latest(tx.session)
    if row is None:
        raise NoRiskModel("train one with POST /risk/model/training")
    return read(row)


def _predict(fitted: m.Model, model_id: uuid.UUID, item: Any, history: m.CustomerHistory) -> InvoiceRisk:
    invoice = m.Invoice(item.customer_id, item.issue_date, item.due_date, float(item.original_amount),
                        bool(item.disputed or item.disputed_now))
    x = m.features(invoice, history, open_items=item.open_items - 1, base_late_share=fitted.base_late_share,
                   base_days_late=fitted.base_days_late)
    p = fitted.probability(x)
    days = p * m.days_when_late(history, fitted)
    return InvoiceRisk(
        invoice_id=item.invoice_id, invoice_number=item.invoice_number, customer_id=item.customer_id,
        due_date=item.due_date, late_probability=_q(p), expected_days_late=_q(days, DAYS), model_id=model_id,
        features={name: _q(v) for name, v in zip(m.FEATURES, x, strict=True)},
        explanation=f"{_q(p * 100, DAYS)} % likely to be paid late, {_q(days, DAYS)} days late expected; the customer "
                    f"paid {history.late} of {history.count} settled invoices late")


async def predictions(tx: Tx, *, customer_ids: list[str], as_of: date) -> dict[str, list[InvoiceRisk]]:
    """Each customer's open invoices with their prediction ({} while no model is trained); three statements."""
    row = await repository.latest(tx.session)
    if row is None or not customer_ids:
        return {}
    fitted = _fitted(row)
    histories = {h.customer_id: m.CustomerHistory(count=int(h.settled), late=int(h.late), days_late=int(h.days_late),
                                                  amount=float(h.amount))
                 for h in await repository.histories(tx.session, customer_ids=customer_ids, as_of=as_of)}
    result: dict[str, list[InvoiceRisk]] = defaultdict(list)
    for item in await repository.open_items(tx.session, customer_ids=customer_ids):
        result[item.customer_id].append(
            _predict(fitted, row.id, item, histories.get(item.customer_id, m.CustomerHistory())))
    return result


async def customer_risks(tx: Tx, *, customer_ids: list[str], as_of: date) -> dict[str, CustomerRisk]:
    """Each customer's riskiest open invoice (highest probability of paying late); absent without a model."""
    found = await predictions(tx, customer_ids=customer_ids, as_of=as_of)
    riskiest = {c: max(items, key=lambda i: (i.late_probability, i.expected_days_late)) for c, items in found.items()}
    return {c: CustomerRisk(late_probability=i.late_probability, expected_days_late=i.expected_days_late,
                            invoice_number=i.invoice_number) for c, i in riskiest.items()}


async def invoice_risk(tx: Tx, *, invoice_id: uuid.UUID, as_of: date) -> InvoiceRisk:
    found = await repository.customer_of(tx.session, invoice_id=invoice_id)
    if found is None:
        raise NotFound(f"invoice {invoice_id} is not known to collections")
    ensure_team_access(tx.actor, owning_team=found.owning_team)
    if found.status != "open":
        raise UnprocessableEntity(f"invoice {invoice_id} is closed: only open invoices are predicted")
    if await repository.latest(tx.session) is None:
        raise NoRiskModel("train one with POST /risk/model/training")
    items = (await predictions(tx, customer_ids=[found.customer_id], as_of=as_of)).get(found.customer_id, [])
    return next(i for i in items if i.invoice_id == invoice_id)
