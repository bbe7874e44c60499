from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from o2c_invoicing.invoices.states import InvoiceStatus


class PortalStatus(BaseModel):
    """A portal's status report for one submitted document (callback body, or a poll's history entry)."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID | None = None
    reference: str = Field(min_length=1, max_length=128)
    status: str = Field(min_length=1, max_length=8, description="AB, IP, UQ, CA, RE, AP, PD (SP, PAID).")
    reason_code: str | None = Field(default=None, max_length=64)
    reason_text: str | None = Field(default=None, max_length=2000)
    payment_date: date | None = None
    at: datetime | None = None


class Outcome(StrEnum):
    """What became of a reported status: applied, a duplicate of the submission's status, or ignored (an older
    attempt's, or one the invoice has moved past)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class CallbackOutcome(BaseModel):
    outcome: Outcome
    invoice_status: InvoiceStatus


class MessageOutcome(CallbackOutcome):
    """What became of a standard status message (Peppol Invoice Response, cXML StatusUpdateRequest), with the
    invoice it named and the classified reason of a rejection."""

    invoice_number: str
    source: str
    portal_status_code: str
    portal_reason_code: str | None
    reason: str | None
    root_cause: str | None
