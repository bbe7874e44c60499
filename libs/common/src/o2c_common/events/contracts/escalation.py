"""Events published by the escalation service, all keyed by ``case_id``.

Every event repeats the routing facts (category, severity, tier, owning team) so KPI consumers and
webhook subscribers need no other event to place it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from o2c_common.events.base import EventPayload, event
from o2c_common.events.types import (
    CustomerId,
    LegalEntity,
    Region,
    Severity,
    TeamName,
    UtcDatetime,
)

Category = Literal["billing", "portal", "collections", "cash_application", "dispute", "reconciliation", "other"]
Tier = Literal["L1", "L2", "L3"]
"""L1 the vendor team owning the account, L2 AR supervisor, L3 service delivery lead."""
CaseSource = Literal[
    "api", "sla_breached", "balance_overdue", "portal_rejections", "broken_promises", "reconciliation_drift"
]
SlaClock = Literal["acknowledge", "resolve"]


class _CaseFact(EventPayload):
    case_id: uuid.UUID
    case_number: str
    category: Category
    severity: Severity
    tier: Tier
    owning_team: TeamName
    assignee: str | None = None
    customer_id: CustomerId | None = None
    legal_entity: LegalEntity | None = None
    region: Region | None = None


@event("escalation.opened", producer="escalation", key="case_id")
class EscalationOpened(_CaseFact):
    """An escalation case was opened by a stakeholder or from an event."""

    source: CaseSource
    source_key: str | None = Field(
        default=None, description="Dedup key of the originating fact (one open case per key)."
    )
    source_event_id: uuid.UUID | None = None
    title: str
    requester: str | None = None
    requester_function: str | None = Field(default=None, description="e.g. sales, operations.")
    invoice_ids: tuple[uuid.UUID, ...] = ()
    opened_at: UtcDatetime
    acknowledge_due_at: UtcDatetime
    resolve_due_at: UtcDatetime


@event("escalation.acknowledged", producer="escalation", key="case_id")
class EscalationAcknowledged(_CaseFact):
    """The owning tier acknowledged an escalation case."""

    acknowledged_by: str
    opened_at: UtcDatetime
    acknowledge_due_at: UtcDatetime
    acknowledged_at: UtcDatetime
    business_minutes_to_acknowledge: int = Field(ge=0, description="In the owning team's business hours.")
    within_sla: bool


@event("escalation.escalated", producer="escalation", key="case_id")
class EscalationEscalated(_CaseFact):
    """An escalation case moved to a higher tier (a missed SLA target or a person's decision)."""

    from_tier: Tier
    previous_owning_team: str
    reason: Literal["acknowledge_sla_missed", "resolve_sla_missed", "manual"]
    escalated_by: str | None = Field(default=None, description="Person; None when an SLA timer escalated.")
    escalated_at: UtcDatetime
    acknowledge_due_at: UtcDatetime | None = None
    resolve_due_at: UtcDatetime


@event("escalation.resolved", producer="escalation", key="case_id")
class EscalationResolved(_CaseFact):
    """An escalation case was resolved."""

    resolution: Literal["fixed", "workaround", "no_action_needed", "duplicate", "cannot_fix"]
    root_cause: str | None = None
    resolved_by: str
    opened_at: UtcDatetime
    resolve_due_at: UtcDatetime
    resolved_at: UtcDatetime
    business_minutes_to_resolve: int = Field(ge=0, description="In business hours, pauses excluded.")
    within_sla: bool
    reopened_count: int = Field(default=0, ge=0)


@event("escalation.reopened", producer="escalation", key="case_id")
class EscalationReopened(_CaseFact):
    """A resolved escalation case was reopened: open work again, its resolve clock counting on."""

    reopened_by: str
    opened_at: UtcDatetime
    reopened_at: UtcDatetime
    reopened_count: int = Field(ge=1, description="Times the case has been reopened, this one included.")
    note: str | None = Field(default=None, max_length=2000, description="Why, as the person reopening wrote it.")


@event("escalation.sla_breached", producer="escalation", key="case_id")
class EscalationSlaBreached(_CaseFact):
    """An escalation case missed its acknowledge or resolve target."""

    clock: SlaClock
    due_at: UtcDatetime
    breached_at: UtcDatetime
    escalated_to_tier: Tier | None = Field(default=None, description="Next tier, None if already at L3.")


@event("case_action.changed", producer="escalation", key="case_id")
class CaseActionChanged(_CaseFact):
    """A corrective or preventive action was added to a case's plan or changed (status, owner, due date)."""

    action_id: uuid.UUID
    kind: Literal["corrective", "preventive"]
    description: str = Field(min_length=1, max_length=2000)
    owner: str = Field(min_length=1, max_length=128)
    due_date: date
    status: Literal["open", "in_progress", "done", "cancelled"]
    change: Literal["added", "updated"]
    title: str = Field(description="The case's title.")
    created_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    changed_at: UtcDatetime
