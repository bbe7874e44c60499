"""The vocabularies and nested items of collections' events (:mod:`o2c_common.events.contracts.collections`
re-exports them): where a payment came from, which rule applied cash, deduction and dispute reasons, ledger entry
kinds, and the applications and candidates a payment event lists."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.events.types import Amount, Confidence, InvoiceNumber, NonNegativeAmount, PositiveAmount

PaymentSource = Literal["api", "csv", "camt053", "camt054", "bai2", "history_import"]
HISTORY_IMPORT: PaymentSource = "history_import"
"""The source of payments replayed from another system's history (``o2c history replay``)."""

MatchRule = Literal[
    "reference_and_amount",
    "reference_partial",
    "reference_deduction",
    "single_open_item",
    "combination",
    "tolerance",
    "po_number",
    "early_payment_discount",
    "customer_group",
    "manual",
]
"""Cash-application rule that produced an application; ``manual`` is a person's decision."""

DeductionReason = Literal["pricing", "shortage", "promo", "tax", "freight", "damaged", "unauthorized", "unclassified"]

DisputeReason = Literal[
    "pricing", "quantity", "quality", "not_received", "duplicate_billing", "tax", "terms", "po", "other"
]

DisputeRootCause = Literal[
    "master_data",
    "po",
    "pricing",
    "tax",
    "duplicate",
    "delivery",
    "quality",
    "billing_error",
    "customer_error",
    "portal_technical",
    "other",
]


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CashApplication(_Item):
    """Cash of one payment applied to one open invoice."""

    application_id: uuid.UUID = Field(description="Identifies this application (an unapply names it).")
    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    amount: PositiveAmount = Field(description="Applied to this invoice, in the payment's currency.")
    tolerance_written_off: NonNegativeAmount = Field(
        default=Decimal(0), description="Small difference written off with this application (its AR effect "
                                        "travels in receivable.changed).")
    rule: MatchRule | None = Field(
        default=None, description="On a reversal (payment.unapplied): the rule that made the application, so that "
                                  "read models take its cash back from that rule's figures.")


class MatchCandidate(_Item):
    """An open invoice the engine considered for unapplied cash, for a person to decide."""

    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    open_amount: Amount
    score: Confidence


LedgerEntryKind = Literal["invoice", "payment", "reversal", "credit_note", "write_off", "tolerance_write_off"]


class StatementItem(_Item):
    """One overdue invoice listed on a dunning statement."""

    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    due_date: date
    days_past_due: int = Field(ge=0)
    amount_due: PositiveAmount
