from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.types import Amount
from o2c_common.money import round_money
from o2c_invoicing.invoices.states import InvoiceStatus, SettlementStatus


class WorkQueue(StrEnum):
    """awaiting_approval: pending_approval. rejected_awaiting_correction: portal_rejected, not resubmitted yet.
    stalled: no status change for `stalled_after_days` (marked by the stall sweep). due_soon_without_portal_approval:
    issued or at the portal, not approved there, due within `due_soon_days` (or overdue). submission_refused: an
    issue or a submission refused by the customer's portal rules since the last status change.
    delivery_failed: a submission its portal or SMTP did not take. not_submitted: issued, never sent, nothing
    failed. customer_says_paid_no_cash: the portal said paid more than `customer_paid_no_cash_days` ago and the
    ledger still has it open. amendment_awaiting_approval / rebill_awaiting_approval: a correction waiting for a
    second person."""

    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED_AWAITING_CORRECTION = "rejected_awaiting_correction"
    STALLED = "stalled"
    DUE_SOON_WITHOUT_PORTAL_APPROVAL = "due_soon_without_portal_approval"
    SUBMISSION_REFUSED = "submission_refused"
    DELIVERY_FAILED = "delivery_failed"
    NOT_SUBMITTED = "not_submitted"
    CUSTOMER_SAYS_PAID_NO_CASH = "customer_says_paid_no_cash"
    AMENDMENT_AWAITING_APPROVAL = "amendment_awaiting_approval"
    REBILL_AWAITING_APPROVAL = "rebill_awaiting_approval"


QUEUES: tuple[WorkQueue, ...] = tuple(WorkQueue)


class WorkItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str | None
    legal_entity: str
    customer_id: str
    currency: str
    total_amount: Amount
    status: InvoiceStatus
    status_since: datetime
    settlement_status: SettlementStatus = SettlementStatus.OPEN
    ledger_open_amount: Amount | None = None
    due_date: date | None
    po_number: str | None
    owner: str
    owning_team: str | None
    attempts: int
    rejection_count: int
    stalled_notified_at: datetime | None
    days_in_status: int = 0
    days_to_due: int | None = None
    reason: str = Field(default="", description="Why the invoice waits here, in a sentence.")
    reason_detail: str | None = Field(default=None, description="The portal's or the channel's own words.")

    @model_validator(mode="after")
    def _minor_units(self) -> WorkItem:
        self.total_amount = round_money(self.total_amount, self.currency)
        if self.ledger_open_amount is not None:
            self.ledger_open_amount = round_money(self.ledger_open_amount, self.currency)
        return self


class QueueCount(BaseModel):
    queue: WorkQueue
    count: int


class QueueSummary(BaseModel):
    owner: str | None
    team: str | None
    queues: list[QueueCount]
