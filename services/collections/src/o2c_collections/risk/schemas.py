from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class TrainingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="Train on the invoices closed before this day (today).")


class Coefficient(BaseModel):
    feature: str
    coefficient: Decimal = Field(description="Its weight in the log-odds of paying late.")


class RiskModelRead(BaseModel):
    """A trained late-payment model: logistic regression over the features listed, fitted on the settled invoices."""

    id: uuid.UUID
    trained_at: datetime
    trained_by: str
    as_of: date
    trained_on: int = Field(description="Settled invoices it was fitted on.")
    intercept: Decimal
    coefficients: list[Coefficient]
    late_share: Decimal = Field(description="Share of the settled invoices paid after due.")
    auc: Decimal = Field(description="Area under the ROC curve on its own training invoices (in-sample).")
    baseline_auc: Decimal = Field(description="The same for the customer's past late share alone.")
    holdout_auc: Decimal | None = Field(description="AUC on the latest fifth of the invoices (by issue date) of a fit "
                                                    "on the earlier four fifths (absent when that fifth has one "
                                                    "outcome only).")


class InvoiceRisk(BaseModel):
    """The late-payment prediction of an open invoice."""

    invoice_id: uuid.UUID
    invoice_number: str
    customer_id: str
    due_date: date
    late_probability: Decimal = Field(description="Probability the invoice is paid after its due date (0 to 1).")
    expected_days_late: Decimal = Field(description="late probability x the customer's mean days late when late.")
    model_id: uuid.UUID
    features: dict[str, Decimal]
    explanation: str


class CustomerRisk(BaseModel):
    """The customer's riskiest open invoice (what the worklist and credit factors show)."""

    late_probability: Decimal
    expected_days_late: Decimal
    invoice_number: str
