from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from o2c_common.events.types import Amount, Currency
from o2c_common.money import round_money
from o2c_invoicing.invoices.models import InvoiceSource
from o2c_invoicing.invoices.states import InvoiceStatus, SettlementStatus


def _no_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError("send decimal numbers as strings (\"12.50\"), never as JSON floats")
    return value


NoFloat = BeforeValidator(_no_float)
Quantity = Annotated[Decimal, NoFloat, Field(gt=0, max_digits=20, decimal_places=6, examples=["3"])]
UnitPrice = Annotated[Decimal, NoFloat, Field(ge=0, max_digits=20, decimal_places=6, examples=["125.50"])]
TaxRate = Annotated[Decimal, NoFloat, Field(ge=0, le=1, max_digits=7, decimal_places=4, examples=["0.20"])]
PaymentTerms = Literal["net", "eom"]
"""net: due N days after issue; eom: due N days after the end of the issue month."""


class InvoiceLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=500)
    quantity: Quantity
    unit_price: UnitPrice
    tax_rate: TaxRate = Decimal(0)
    po_line: str | None = Field(default=None, max_length=32)


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{
                "legal_entity": "US01", "customer_id": "CUST-1001", "currency": "USD", "payment_terms_days": 30,
                "po_number": "PO-7781",
                "lines": [{"description": "Consulting, October", "quantity": "10", "unit_price": "150.00",
                           "tax_rate": "0.00", "po_line": "1"}],
            }]
        },
    )

    legal_entity: str = Field(min_length=2, max_length=20, pattern=r"^[A-Z0-9_-]+$")
    customer_id: str = Field(min_length=1, max_length=64)
    currency: Currency
    issue_date: date | None = Field(default=None, description="Requested posting date; today when issued if empty.")
    payment_terms: PaymentTerms = "net"
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    discount_percent: Decimal | None = Field(default=None, gt=0, lt=100, max_digits=5, decimal_places=2,
                                             description="Early-payment discount: the 2 of 2/10 net 30.")
    discount_days: int | None = Field(default=None, ge=0, le=365,
                                      description="Days after the issue date the discount may be taken: the 10.")
    service_period_start: date | None = None
    service_period_end: date | None = None
    po_number: str | None = Field(default=None, max_length=64)
    buyer_reference: str | None = Field(default=None, max_length=64)
    owning_team: str | None = Field(default=None, max_length=64,
                                    description="Ignored when the customer has a billing profile (its team wins).")
    lines: list[InvoiceLineCreate] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> InvoiceCreate:
        if (self.discount_percent is None) != (self.discount_days is None):
            raise ValueError("an early-payment discount needs both discount_percent and discount_days")
        if self.discount_days is not None and self.payment_terms == "net" and \
                self.discount_days >= self.payment_terms_days:
            raise ValueError("discount_days must be fewer than payment_terms_days")
        if all(line.quantity * line.unit_price == 0 for line in self.lines):
            raise ValueError("an invoice must have a non-zero amount")
        if (self.service_period_start and self.service_period_end
                and self.service_period_end < self.service_period_start):
            raise ValueError("service_period_end is before service_period_start")
        return self


class InvoiceLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    description: str
    quantity: Amount
    unit_price: Amount
    tax_rate: Amount
    net_amount: Amount
    tax_amount: Amount
    po_line: str | None = None


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    approver: str
    approved_at: datetime


def money_in_minor_units(model: BaseModel, currency: str, *names: str) -> None:
    """Amounts read back from NUMERIC(20, 6) columns, shown in the currency's minor units ("100.00")."""
    for name in names:
        setattr(model, name, round_money(getattr(model, name), currency))


class InvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="after")
    def _minor_units(self) -> InvoiceRead:
        money_in_minor_units(self, self.currency, "net_amount", "tax_amount", "total_amount", "credited_amount",
                             "paid_amount", "written_off_amount")
        if self.ledger_open_amount is not None:
            money_in_minor_units(self, self.currency, "ledger_open_amount")
        for line in self.lines:
            money_in_minor_units(line, self.currency, "net_amount", "tax_amount")
            line.quantity, line.unit_price, line.tax_rate = (
                _plain(line.quantity), _plain(line.unit_price), _plain(line.tax_rate))
        return self

    id: uuid.UUID
    number: str | None
    legal_entity: str
    customer_id: str
    currency: str
    net_amount: Amount
    tax_amount: Amount
    total_amount: Amount
    credited_amount: Amount = Field(description="Credit notes issued on this invoice.")
    paid_amount: Amount = Field(description="Cash applied, as the AR ledger says (receivable.changed).")
    settlement_status: SettlementStatus = Field(
        default=SettlementStatus.OPEN, description="What the AR ledger says is owed; a portal never changes it.")
    ledger_open_amount: Amount | None = Field(
        default=None, description="Open amount in the AR ledger after its last entry seen here (null: none yet).")
    ledger_sequence: int = 0
    written_off_amount: Amount = Decimal(0)
    settled_on: date | None = None
    customer_paid_reported_at: datetime | None = Field(
        default=None, description="When the customer's portal said it was paid (its word, not cash).")
    billing_deadline: date | None = None
    buyer_reference: str | None = None
    replaces_invoice_id: uuid.UUID | None = None
    portal_rules_overridden: list[str] = []
    requested_issue_date: date | None
    issue_date: date | None
    due_date: date | None
    payment_terms: str
    payment_terms_days: int
    discount_percent: Decimal | None = None
    discount_days: int | None = None
    service_period_start: date | None
    service_period_end: date | None
    po_number: str | None
    owning_team: str | None
    status: InvoiceStatus
    status_since: datetime
    source: InvoiceSource
    attempts: int
    rejection_count: int
    version: int
    created_by: str
    created_at: datetime
    lines: list[InvoiceLineRead]
    approvals: list[ApprovalRead] = []


def _plain(value: Decimal) -> Decimal:
    """33.335000 → 33.335, 3.000000 → 3 (no exponent)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


class HistoricalInvoiceCreate(InvoiceCreate):
    """An invoice issued elsewhere (an ERP, a legacy system), loaded as issued with its own number and dates."""

    id: uuid.UUID | None = Field(default=None, description=(
        "The invoice's id, chosen by the loader (e.g. a uuid5 of the source number): loading the same id and "
        "number again answers the invoice already stored (200) instead of a 409, so replays are idempotent."))
    number: str = Field(min_length=1, max_length=40)
    issue_date: date
    due_date: date
    paid_date: date | None = Field(default=None, description="When it was settled, if it was.")


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class OverrideFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    override_portal_rules: bool = Field(default=False, description=(
        "Go on although the customer's portal rules are violated (approvers only; audited with the reason)."))
    override_reason: str | None = Field(default=None, min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _reason_with_override(self) -> OverrideFields:
        if self.override_portal_rules and not self.override_reason:
            raise ValueError("override_reason is required with override_portal_rules")
        return self


class ApproveRequest(Note, OverrideFields):
    """An approval, optionally overriding the portal rules the invoice violates."""


class IssueRequest(OverrideFields):
    """Issue, optionally overriding the portal rules the invoice violates (approvers only)."""


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
