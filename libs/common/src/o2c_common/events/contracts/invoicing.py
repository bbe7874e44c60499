"""Events published by the invoicing service."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from o2c_common.events.base import EventPayload, event
from o2c_common.events.types import Amount, Currency


@event("invoice.issued", producer="invoicing", key="invoice_id")
class InvoiceIssued(EventPayload):
    """An approved invoice was posted with its final number: it is now a receivable."""

    invoice_id: uuid.UUID
    invoice_number: str
    legal_entity: str
    customer_id: str
    currency: Currency
    amount: Amount
    tax_amount: Amount
    issue_date: date
    due_date: date
    issued_at: datetime
    owning_team: str | None = None
    po_number: str | None = None
