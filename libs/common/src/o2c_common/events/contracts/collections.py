"""Events published by the collections service.

Keys: ``payment_id`` for payments, ``deduction_id``, ``dispute_id``, ``promise_id`` for those aggregates,
``invoice_id`` for per-invoice dunning notices and credit-note requests, ``customer_id`` for credit holds and overdue
escalations. Amounts are positive; the event type says which way they move AR. Business dates are in the payload so
history replays keep their own dates.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from o2c_common.events.base import EventPayload, event
from o2c_common.events.contracts.collections_terms import (
    HISTORY_IMPORT,
    CashApplication as CashApplication,
    DeductionReason as DeductionReason,
    DisputeReason as DisputeReason,
    DisputeRootCause as DisputeRootCause,
    LedgerEntryKind as LedgerEntryKind,
    MatchCandidate as MatchCandidate,
    MatchRule as MatchRule,
    PaymentSource as PaymentSource,
    StatementItem as StatementItem,
    _Item as _Item,
)
from o2c_common.events.types import (
    Amount,
    Confidence,
    Currency,
    CustomerId,
    InvoiceNumber,
    LegalEntity,
    NonNegativeAmount,
    PositiveAmount,
    Region,
    Severity,
    TeamName,
    UtcDatetime,
)


class _CustomerFact(EventPayload):
    legal_entity: LegalEntity
    customer_id: CustomerId
    owning_team: TeamName | None = Field(default=None, description="Team owning the account (internal or vendor).")


@event("payment.received", producer="collections", key="payment_id")
class PaymentReceived(EventPayload):
    """A customer payment was booked from a bank file, a remittance or the API."""

    payment_id: uuid.UUID
    legal_entity: LegalEntity
    customer_id: CustomerId | None = Field(description="Identified payer; None when the payer is unknown.")
    payer_name: str | None = None
    currency: Currency
    amount: PositiveAmount
    value_date: date
    received_at: UtcDatetime
    source: PaymentSource
    bank_reference: str | None = None
    remittance_references: tuple[str, ...] = ()
    owning_team: TeamName | None = None

    def imported_history(self) -> bool:
        return self.source == HISTORY_IMPORT


@event("payment.applied", producer="collections", key="payment_id")
class PaymentApplied(EventPayload):
    """Cash of a payment was applied to one or more open invoices, reducing AR on the applied date."""

    payment_id: uuid.UUID
    legal_entity: LegalEntity
    customer_id: CustomerId
    currency: Currency
    applications: tuple[CashApplication, ...] = Field(min_length=1)
    value_date: date = Field(description="Bank value date of the payment.")
    applied_date: date = Field(description="Accounting date of the application: AR is reduced from it.")
    applied_at: UtcDatetime
    rule: MatchRule
    confidence: Confidence
    applied_by: str | None = Field(default=None, description="Person for manual applications; None = engine.")
    unapplied_balance: NonNegativeAmount = Field(description="Cash of this payment still unapplied afterwards.")
    owning_team: TeamName | None = None
    historical: bool = Field(default=False, description="The engine's application of an imported payment (source "
                             "history_import): applied long ago in another system, not work of today's queues.")

    def imported_history(self) -> bool:
        return self.historical


@event("payment.unapplied", producer="collections", key="payment_id")
class PaymentUnapplied(EventPayload):
    """Cash of a payment was left unapplied, or applications were reversed back to unapplied cash."""

    payment_id: uuid.UUID
    legal_entity: LegalEntity
    customer_id: CustomerId | None = None
    currency: Currency
    amount: PositiveAmount = Field(description="Cash that became unapplied in this fact.")
    unapplied_balance: NonNegativeAmount = Field(description="Cash of this payment unapplied afterwards.")
    reason: Literal["no_match", "ambiguous", "remainder", "overpayment", "unidentified_payer", "reversed"]
    reversed_applications: tuple[CashApplication, ...] = Field(
        default=(), description="For 'reversed': applications undone; AR rises by them on unapplied_date."
    )
    candidates: tuple[MatchCandidate, ...] = ()
    unapplied_date: date
    unapplied_at: UtcDatetime
    unapplied_by: str | None = None
    owning_team: TeamName | None = None


@event("deduction.opened", producer="collections", key="deduction_id")
class DeductionOpened(_CustomerFact):
    """A short payment was recorded as a deduction to be resolved."""

    deduction_id: uuid.UUID
    payment_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None
    invoice_number: InvoiceNumber | None = None
    currency: Currency
    amount: PositiveAmount
    reason: DeductionReason
    remittance_reason: str | None = Field(default=None, description="Reason text or code from remittance.")
    owner: str | None = None
    opened_date: date
    opened_at: UtcDatetime


@event("deduction.resolved", producer="collections", key="deduction_id")
class DeductionResolved(_CustomerFact):
    """A deduction was closed: recovered from the customer, credited, written off, or made a dispute."""

    deduction_id: uuid.UUID
    payment_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None
    invoice_number: InvoiceNumber | None = None
    currency: Currency
    amount: PositiveAmount = Field(description="Deduction amount resolved.")
    reason: DeductionReason
    resolution: Literal["recovered", "credited", "written_off", "disputed"]
    resolved_by: str
    approved_by: str | None = Field(default=None, description="ar_supervisor who approved a write-off.")
    credit_note_request_id: uuid.UUID | None = None
    dispute_id: uuid.UUID | None = None
    opened_date: date
    resolved_date: date = Field(description="Accounting date; a write-off reduces AR from it.")
    resolved_at: UtcDatetime


@event("dispute.opened", producer="collections", key="dispute_id")
class DisputeOpened(_CustomerFact):
    """A dispute was opened on an invoice or a deduction; the disputed amount leaves dunning."""

    dispute_id: uuid.UUID
    invoice_id: uuid.UUID | None = None
    invoice_number: InvoiceNumber | None = None
    deduction_id: uuid.UUID | None = None
    currency: Currency
    amount: PositiveAmount = Field(description="Disputed amount.")
    reason: DisputeReason
    source: Literal["collector", "deduction", "portal_rejection", "history_import"]
    owner: str | None = None
    opened_by: str | None = None
    opened_date: date
    opened_at: UtcDatetime


@event("dispute.resolved", producer="collections", key="dispute_id")
class DisputeResolved(_CustomerFact):
    """A dispute was resolved with its root cause and corrective and preventive actions."""

    dispute_id: uuid.UUID
    invoice_id: uuid.UUID | None = None
    invoice_number: InvoiceNumber | None = None
    currency: Currency
    amount: PositiveAmount = Field(description="Disputed amount.")
    reason: DisputeReason
    outcome: Literal["customer_pays", "credited", "partially_credited", "written_off", "withdrawn"]
    credited_amount: NonNegativeAmount = Decimal(0)
    written_off_amount: NonNegativeAmount = Field(default=Decimal(0), description="Posted as a write-off.")
    approved_by: str | None = Field(default=None, description="The second person who approved a write-off.")
    root_cause: DisputeRootCause
    corrective_action: str | None = None
    preventive_action: str | None = None
    owner: str | None = None
    resolved_by: str
    opened_at: UtcDatetime
    resolved_date: date
    resolved_at: UtcDatetime


@event("dunning.notice_sent", producer="collections", key="invoice_id")
class DunningNoticeSent(_CustomerFact):
    """A dunning notice of one level was sent for an overdue invoice (once per invoice and level)."""

    notice_id: uuid.UUID
    run_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    policy_id: str
    level: int = Field(ge=1)
    channel: Literal["email", "letter", "portal", "phone"]
    template: str
    currency: Currency
    amount_due: PositiveAmount = Field(description="Overdue amount the notice asks for.")
    due_date: date
    days_past_due: int = Field(ge=0)
    sent_at: UtcDatetime


@event("promise_to_pay.recorded", producer="collections", key="promise_id")
class PromiseToPayRecorded(_CustomerFact):
    """A customer promised to pay an amount by a date; promised amounts leave dunning."""

    promise_id: uuid.UUID
    currency: Currency
    amount: PositiveAmount
    promised_date: date
    invoice_ids: tuple[uuid.UUID, ...] = ()
    recorded_by: str
    recorded_at: UtcDatetime


@event("promise_to_pay.kept", producer="collections", key="promise_id")
class PromiseToPayKept(_CustomerFact):
    """Cash applied by the promised date covered the promised amount."""

    promise_id: uuid.UUID
    currency: Currency
    amount: PositiveAmount = Field(description="Promised amount.")
    paid_amount: NonNegativeAmount = Field(description="Cash applied against the promise by the promised date.")
    promised_date: date
    kept_date: date = Field(description="Date the promised amount was reached.")
    decided_at: UtcDatetime


@event("promise_to_pay.broken", producer="collections", key="promise_id")
class PromiseToPayBroken(_CustomerFact):
    """The promised date passed without the promised amount applied."""

    promise_id: uuid.UUID
    currency: Currency
    amount: PositiveAmount = Field(description="Promised amount.")
    paid_amount: NonNegativeAmount = Field(description="Cash applied against the promise by the promised date.")
    promised_date: date
    broken_count: int = Field(ge=1, description="Promises this customer broke in the rule window, this one too.")
    decided_at: UtcDatetime


@event("credit.hold_placed", producer="collections", key="customer_id")
class CreditHoldPlaced(_CustomerFact):
    """A customer was put on credit hold."""

    hold_id: uuid.UUID
    reason: Literal["over_credit_limit", "risk_score", "broken_promises", "overdue", "manual"]
    risk_score: int | None = Field(default=None, ge=0, le=100, description="0 best, 100 worst.")
    currency: Currency | None = None
    credit_limit: Amount | None = None
    exposure: Amount | None = Field(default=None, description="Open AR plus open orders at the time.")
    placed_by: str | None = Field(default=None, description="Person; None when a rule placed it.")
    placed_at: UtcDatetime


@event("credit.hold_released", producer="collections", key="customer_id")
class CreditHoldReleased(_CustomerFact):
    """A customer's credit hold was lifted."""

    hold_id: uuid.UUID
    reason: Literal["paid_down", "limit_raised", "risk_improved", "manual"]
    released_by: str | None = None
    placed_at: UtcDatetime
    released_at: UtcDatetime


@event("balance.overdue_escalated", producer="collections", key="customer_id")
class BalanceOverdueEscalated(_CustomerFact):
    """A customer's overdue balance met an escalation rule (emitted once per breach)."""

    breach_id: uuid.UUID = Field(description="Stable id of this breach: the escalation desk's source key.")
    rule_id: str
    rule_name: str
    region: Region | None = None
    currency: Currency
    overdue_amount: PositiveAmount
    max_days_past_due: int = Field(ge=0)
    broken_promises: int = Field(default=0, ge=0)
    invoice_ids: tuple[uuid.UUID, ...] = ()
    severity: Severity | None = Field(default=None, description="Suggested; the escalation desk routes.")
    as_of_date: date
    escalated_at: UtcDatetime


@event("credit_note.requested", producer="collections", key="invoice_id")
class CreditNoteRequested(_CustomerFact):
    """A deduction or dispute was resolved as credited: invoicing is asked to issue the credit note."""

    request_id: uuid.UUID = Field(description="Idempotency key; credit_note.issued echoes it.")
    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    deduction_id: uuid.UUID | None = None
    dispute_id: uuid.UUID | None = None
    currency: Currency
    amount: PositiveAmount = Field(description="Gross amount to credit.")
    reason: Literal["deduction_credited", "dispute_credited"]
    reason_code: str | None = Field(default=None, description="Deduction or dispute reason, for the note.")
    requested_by: str
    approved_by: str | None = None
    requested_at: UtcDatetime


"""What moved an invoice's open amount in the AR ledger."""


@event("receivable.changed", producer="collections", key="invoice_id")
class ReceivableChanged(EventPayload):
    """One entry was posted to an invoice's receivable in the AR ledger, the truth every other service mirrors."""

    invoice_id: uuid.UUID
    invoice_number: InvoiceNumber
    legal_entity: LegalEntity
    customer_id: CustomerId
    owning_team: TeamName | None = None
    currency: Currency
    issue_date: date
    due_date: date
    sequence: int = Field(ge=1, description="Number of this entry among the invoice's entries, from 1.")
    kind: LedgerEntryKind
    amount: Amount = Field(description="Signed as posted: positive raises what is owed, negative lowers it.")
    effective_date: date = Field(description="Accounting date of the entry.")
    original_amount: Amount = Field(description="The invoice's receivable when it was opened.")
    open_amount_after: Amount = Field(description="What is still owed after this entry (negative: overpaid).")
    cash_applied_total: NonNegativeAmount
    credited_total: NonNegativeAmount
    written_off_total: NonNegativeAmount
    payment_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None
    credit_note_id: uuid.UUID | None = None
    deduction_id: uuid.UUID | None = None
    dispute_id: uuid.UUID | None = None
    reason: str | None = Field(default=None, description="e.g. tolerance, deduction, dispute, manual.")
    posted_by: str
    posted_at: UtcDatetime


@event("account.updated", producer="collections", key="customer_id")
class AccountUpdated(EventPayload):
    """The account master of a customer was created or changed (no contact details: they stay in collections)."""

    customer_id: CustomerId
    name: str | None = None
    parent_customer_id: CustomerId | None = None
    collector: str | None = None
    owning_team: TeamName | None = None
    previous_owning_team: TeamName | None = None
    segment: str | None = None
    language: str | None = Field(default=None, description="BCP 47 language of correspondence, e.g. en, de.")
    credit_limit: NonNegativeAmount | None = None
    credit_currency: Currency | None = None
    account_version: int = Field(ge=1, description="The account's version after this change (newer wins).")
    updated_by: str
    updated_at: UtcDatetime


class _StatementFact(_CustomerFact):
    statement_id: uuid.UUID
    run_id: uuid.UUID
    currency: Currency
    policy_id: str
    level: int = Field(ge=1)
    language: str
    template: str
    channel: Literal["email", "letter", "portal", "phone"]
    items: tuple[StatementItem, ...] = Field(min_length=1)
    total_due: PositiveAmount


@event("dunning.statement_sent", producer="collections", key="customer_id")
class DunningStatementSent(_StatementFact):
    """One dunning statement of one level was sent to a customer, listing every overdue invoice it covers."""

    recipients_count: int = Field(ge=1)
    sent_at: UtcDatetime


@event("dunning.statement_failed", producer="collections", key="customer_id")
class DunningStatementFailed(_StatementFact):
    """A dunning statement could not be sent; the next run tries again."""

    reason: Literal["no_dunning_contact", "smtp_refused", "smtp_unreachable", "template_missing"]
    detail: str = Field(max_length=2000)
    failed_at: UtcDatetime
