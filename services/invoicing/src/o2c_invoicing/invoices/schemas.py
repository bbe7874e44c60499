from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.types import Amount, Currency

Quantity = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6, examples=["3"])]
UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6, examples=["125.50"])]
TaxRate = Annotated[Decimal, Field(ge=0, le=1, max_digits=7, decimal_places=4, examples=["0.20"])]


class InvoiceLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=500)
    quantity: Quantity
    unit_price: UnitPrice
    tax_rate: TaxRate = Decimal(0)


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{
                "legal_entity": "US01", "customer_id": "CUST-1001", "currency": "USD", "payment_terms_days": 30,
                "po_number": "PO-7781",
                "lines": [{"description": "Consulting, October", "quantity": "10", "unit_price": "150.00",
                           "tax_rate": "0.00"}],
            }]
        },
    )

    legal_entity: str = Field(min_length=2, max_length=20, pattern=r"^[A-Z0-9_-]+$")
    customer_id: str = Field(min_length=1, max_length=64)
    currency: Currency
    issue_date: date | None = None
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    po_number: str | None = Field(default=None, max_length=64)
    owning_team: str | None = Field(default=None, max_length=64)
    lines: list[InvoiceLineCreate] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _not_empty(self) -> InvoiceCreate:
        if all(line.quantity * line.unit_price == 0 for line in self.lines):
            raise ValueError("an invoice must have a non-zero amount")
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


class InvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    legal_entity: str
    customer_id: str
    currency: str
    net_amount: Amount
    tax_amount: Amount
    total_amount: Amount
    issue_date: date
    due_date: date
    po_number: str | None
    owning_team: str | None
    status: str
    version: int
    created_by: str
    created_at: datetime
    lines: list[InvoiceLineRead]
