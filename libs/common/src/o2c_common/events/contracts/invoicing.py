"""Events published by the invoicing service.

Every invoice event is keyed by ``invoice_id`` so one invoice's history stays ordered, including
``credit_note.issued`` (keyed by the credited invoice, so a credit never overtakes its invoice).
Business dates and instants are in the payload: replayed history keeps its own dates, whatever
the envelope's ``ce_time`` says.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.events.base import EventPayload, event
from o2c_common.events.types import (
    Amount,
    Currency,
    CustomerId,
    InvoiceNumber,
    LegalEntity,
    NonNegativeAmount,
    PoNumber,
    PositiveAmount,
    Region,
    TeamName,
    UtcDatetime,
)

Channel = Literal["coupa", "ariba", "tungsten", "peppol", "email", "other"]
"""Where an invoice is delivered: a customer's AP portal, a Peppol access point, or e-mail."""

DocumentFormat = Literal["cxml", "ubl", "pdf"]
"""cXML InvoiceDetailRequest, UBL 2.1 / Peppol BIS Billing 3.0, or a PDF attachment (e-mail)."""

RejectionReason = Literal[
    "missing_po",
    "invalid_po",
    "tax_error",
    "price_mismatch",
    "duplicate_invoice_number",
    "unknown_ship_to",
    "missing_attachment",
    "format_error",
    "technical_error",
    "other",
]
"""Normalized rejection reason (the portal's own code is kept in ``portal_reason_code``)."""

RejectionRootCause = Literal["master_data", "po", "pricing", "tax", "duplicate", "portal_technical", "other"]
"""Root-cause category of a portal rejection: the last level of the reason taxonomy."""

InvoiceStatus = Literal[
    "draft",
    "pending_approval",
    "approved",
    "issued",
    "submitted",
    "portal_received",
    "portal_rejected",
    "resubmitted",
    "portal_approved",
    "scheduled_for_payment",
    "paid_by_customer",
    "paid",
    "cancelled",
    "credited",
]
"""Document and portal status. ``paid`` and ``credited`` appear only in history from before settlement moved to
the ledger: what is owed is ``SettlementStatus``, mirrored from collections' ``receivable.changed``."""

SettlementStatus = Literal["open", "partly_settled", "settled", "credited", "written_off"]
"""What the AR ledger says of an invoice: only collections' entries (cash, credits, write-offs) change it."""


class _InvoiceFact(EventPayload):
    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber = Field(description="Final number allocated at issue, gapless per entity and year.")
    legal_entity: LegalEntity
    customer_id: CustomerId
    owning_team: TeamName | None = Field(default=None, description="Team owning the account (internal or vendor).")


class _SubmissionFact(_InvoiceFact):
    submission_id: uuid.UUID = Field(description="One submission attempt of this invoice to its channel.")
    attempt: int = Field(ge=1, description="1 for the first submission, n for the (n-1)th resubmission.")
    channel: Channel


@event("invoice.issued", producer="invoicing", key="invoice_id")
class InvoiceIssued(EventPayload):
    """An approved invoice was posted with its final number: it is now a receivable."""

    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    legal_entity: LegalEntity
    customer_id: CustomerId
    currency: Currency
    amount: Amount = Field(description="Gross total including tax: the amount receivable.")
    tax_amount: NonNegativeAmount
    issue_date: date = Field(description="Posting date: the invoice counts in AR and credit sales from it.")
    due_date: date
    issued_at: UtcDatetime
    owning_team: TeamName | None = None
    po_number: PoNumber | None = None
    replaces_invoice_id: uuid.UUID | None = Field(default=None, description="Set when re-billed after a credit.")
    region: Region | None = None
    channel: Channel | None = None
    service_period_start: date | None = None
    service_period_end: date | None = None
    billing_deadline: date | None = Field(
        default=None, description="Latest on-time issue date under the customer's billing cadence."
    )
    discount_percent: Decimal | None = Field(
        default=None, gt=0, lt=100, description="Early-payment discount of the terms (2 for 2/10 net 30), if any."
    )
    discount_until: date | None = Field(
        default=None, description="Last day the early-payment discount may be taken (issue date + 10 for 2/10)."
    )
    historical: bool = Field(
        default=False, description="Imported history (issued in another system): a receivable from the past, not "
        "work arriving in today's queues.")

    def imported_history(self) -> bool:
        return self.historical


@event("invoice.approved", producer="invoicing", key="invoice_id")
class InvoiceApproved(EventPayload):
    """A prepared invoice received its last required approval (maker-checker) and may be issued."""

    invoice_id: uuid.UUID
    legal_entity: LegalEntity
    customer_id: CustomerId
    currency: Currency
    amount: Amount
    prepared_by: str
    approved_by: str = Field(description="Final approver; never the preparer.")
    approvals: int = Field(default=1, ge=1, description="Approvals given (2 above the second-approval limit).")
    approved_at: UtcDatetime
    owning_team: TeamName | None = None


@event("invoice.submitted", producer="invoicing", key="invoice_id")
class InvoiceSubmitted(_SubmissionFact):
    """An issued invoice was delivered to its customer's channel for the first time."""

    document_format: DocumentFormat
    currency: Currency
    amount: Amount
    due_date: date
    submitted_at: UtcDatetime
    submitted_by: str | None = None
    portal_reference: str | None = Field(default=None, description="Id the portal gave the document.")


@event("invoice.portal_rejected", producer="invoicing", key="invoice_id")
class InvoicePortalRejected(_SubmissionFact):
    """The customer's portal rejected a submission of the invoice, with a reason."""

    portal_status_code: str = Field(default="RE", description="Portal status (Peppol Invoice Response style).")
    portal_reason_code: str = Field(description="Reason code exactly as the portal sent it.")
    reason: RejectionReason
    root_cause: RejectionRootCause
    reason_text: str | None = None
    disputes_charge: bool = Field(
        default=False, description="The customer contests the charge itself, not a correctable defect."
    )
    rejection_count: int = Field(ge=1, description="Rejections of this invoice so far, this one included.")
    rejected_at: UtcDatetime


@event("invoice.resubmitted", producer="invoicing", key="invoice_id")
class InvoiceResubmitted(_SubmissionFact):
    """A corrected invoice was submitted again to its channel after a portal rejection."""

    previous_submission_id: uuid.UUID
    corrected_reason: RejectionReason = Field(description="Reason of the rejection this attempt corrects.")
    document_format: DocumentFormat
    currency: Currency
    amount: Amount
    rejected_at: UtcDatetime = Field(description="When the rejection being corrected happened.")
    resubmitted_at: UtcDatetime
    resubmitted_by: str | None = None


@event("invoice.portal_approved", producer="invoicing", key="invoice_id")
class InvoicePortalApproved(_SubmissionFact):
    """The customer's portal approved (accepted) the invoice."""

    portal_status_code: str = Field(default="AP", description="Portal status (Peppol Invoice Response style).")
    first_pass: bool = Field(description="Accepted on the first submission, with no rejection before.")
    submitted_at: UtcDatetime = Field(description="When the first submission of this invoice was made.")
    approved_at: UtcDatetime


@event("invoice.scheduled_for_payment", producer="invoicing", key="invoice_id")
class InvoiceScheduledForPayment(_SubmissionFact):
    """The customer's portal scheduled the approved invoice for payment."""

    portal_status_code: str = "PD"
    scheduled_payment_date: date | None = None
    scheduled_at: UtcDatetime


@event("invoice.paid", producer="invoicing", key="invoice_id")
class InvoicePaid(_InvoiceFact):
    """The invoice became fully settled (by applied cash and credits) or its portal reported it paid."""

    currency: Currency
    amount: Amount = Field(description="Invoice gross total.")
    paid_date: date = Field(description="Date of the application (or portal report) that settled it.")
    paid_at: UtcDatetime
    source: Literal["cash_applied", "portal_reported"]
    payment_ids: tuple[uuid.UUID, ...] = ()


@event("invoice.cancelled", producer="invoicing", key="invoice_id")
class InvoiceCancelled(EventPayload):
    """An invoice was cancelled before it was issued; it never became a receivable."""

    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber | None = Field(default=None, description="None: numbers are allocated at issue.")
    legal_entity: LegalEntity
    customer_id: CustomerId
    currency: Currency
    amount: Amount
    previous_status: InvoiceStatus
    reason: str
    cancelled_by: str
    cancelled_at: UtcDatetime
    owning_team: TeamName | None = None


@event("invoice.stalled", producer="invoicing", key="invoice_id")
class InvoiceStalled(EventPayload):
    """An invoice kept the same status longer than the configured limit without any change."""

    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber | None = None
    legal_entity: LegalEntity
    customer_id: CustomerId
    status: InvoiceStatus
    status_since: UtcDatetime
    days_without_change: int = Field(ge=0)
    threshold_days: int = Field(ge=1)
    submission_id: uuid.UUID | None = None
    due_date: date | None = None
    currency: Currency
    amount: Amount
    owner: str | None = Field(default=None, description="Person currently responsible for the next step.")
    owning_team: TeamName | None = None
    detected_at: UtcDatetime


@event("credit_note.issued", producer="invoicing", key="invoice_id")
class CreditNoteIssued(_InvoiceFact):
    """A credit note (full or partial) was issued against an issued invoice, reducing what is owed."""

    credit_note_id: uuid.UUID
    credit_note_number: str
    currency: Currency
    amount: PositiveAmount = Field(description="Gross credit including tax, positive; reduces AR.")
    tax_amount: NonNegativeAmount
    full: bool = Field(description="Credits the invoice's whole remaining amount.")
    reason: Literal["deduction_credited", "dispute_credited", "pricing", "returned_goods", "billing_error", "other"]
    issue_date: date = Field(description="Posting date: AR is reduced from this date.")
    issued_at: UtcDatetime
    request_id: uuid.UUID | None = Field(default=None, description="credit_note.requested it answers, if any.")
    deduction_id: uuid.UUID | None = None
    dispute_id: uuid.UUID | None = None


@event("invoice.customer_reported_paid", producer="invoicing", key="invoice_id")
class InvoiceCustomerReportedPaid(_SubmissionFact):
    """The customer's portal says the invoice is paid: the customer's statement, not cash, so nothing settles."""

    reported_at: UtcDatetime
    payment_date: date | None = None


SubmissionFailureKind = Literal["portal_rules", "delivery_failed", "email_failed"]


@event("invoice.submission_failed", producer="invoicing", key="invoice_id")
class InvoiceSubmissionFailed(_InvoiceFact):
    """A submission did not reach the customer: refused by the portal's rules before sending, or not delivered."""

    kind: SubmissionFailureKind
    reason: str = Field(max_length=2000)
    violations: tuple[str, ...] = ()
    attempt: int = Field(ge=1)
    channel: Channel
    failed_at: UtcDatetime
    failed_by: str


class FieldChange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    field: str
    before: str | None = None
    after: str | None = None


@event("invoice.amended", producer="invoicing", key="invoice_id")
class InvoiceAmended(_InvoiceFact):
    """Header fields that carry no money were corrected on an issued invoice, with a second person's approval."""

    amendment_id: uuid.UUID
    changes: tuple[FieldChange, ...] = Field(min_length=1)
    requested_by: str
    approved_by: str
    document_version: int = Field(ge=1)
    amended_at: UtcDatetime


@event("invoice.rebilled", producer="invoicing", key="invoice_id")
class InvoiceRebilled(_InvoiceFact):
    """An invoice was credited in full and replaced by a corrected one, as one approved action."""

    credit_note_id: uuid.UUID
    new_invoice_id: uuid.UUID
    requested_by: str
    approved_by: str
    rebilled_at: UtcDatetime
