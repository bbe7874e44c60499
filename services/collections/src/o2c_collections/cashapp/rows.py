"""A payment and its applications as plain rows, for the bulk path: a bank-file chunk builds thousands of each,
writes them with one statement per table and never reads them back, so an ORM object's instrumented construction
and attributes are cost without use. The functions both paths share take either kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from o2c_collections.cashapp.models import Application, Payment, PaymentStatus


@dataclass(slots=True, eq=False)
class PaymentRow:
    """A ``payments`` row as booked (all but ``received_at``, the database's)."""

    id: uuid.UUID
    dedupe_key: str
    legal_entity: str
    customer_id: str | None
    payer_name: str | None
    owning_team: str | None
    currency: str
    amount: Decimal
    unapplied_amount: Decimal
    value_date: date
    source: str
    bank_reference: str | None
    import_id: uuid.UUID | None
    status: PaymentStatus
    candidates: list[dict[str, str]]
    explanation: str | None
    evidence: list[dict[str, str | None]]
    version: int


@dataclass(slots=True, eq=False)
class ApplicationRow:
    """An ``applications`` row as booked (``applied_at`` is the database's)."""

    id: uuid.UUID
    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    amount: Decimal
    rule: str
    confidence: Decimal
    explanation: str | None
    applied_date: date
    applied_by: str | None


AnyPayment = Payment | PaymentRow
AnyApplication = Application | ApplicationRow

PAYMENT_COLUMNS = tuple(f.name for f in fields(PaymentRow))
APPLICATION_COLUMNS = tuple(f.name for f in fields(ApplicationRow))
