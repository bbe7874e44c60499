"""Events published by the workforce service: the people and process of the BPO operation.

Vendor organisations, teams and agents are keyed by their own id; SOP versions by the SOP; training, plans,
hypercare windows, contingency plans and quality samples by their own id. Every event names the team it concerns
so a consumer can scope it without another event.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from o2c_common.events.base import EventPayload, event
from o2c_common.events.types import Measure, TeamName, UtcDatetime

Process = Literal["invoice_preparation", "invoice_submission", "cash_application", "dispute_resolution",
                  "case_handling"]
"""A unit of O2C work an agent performs, as the workforce service tells it from other services' events."""
Change = Literal["created", "updated", "closed"]


@event("vendor.changed", producer="workforce", key="vendor_id")
class VendorChanged(EventPayload):
    """A vendor organisation was created or changed."""

    vendor_id: uuid.UUID
    code: str
    name: str
    change: Change
    changed_at: UtcDatetime


@event("team.changed", producer="workforce", key="team_id")
class TeamChanged(EventPayload):
    """A team (internal or a vendor's) was created or changed."""

    team_id: uuid.UUID
    team: TeamName
    vendor_code: str | None = None
    change: Change
    changed_at: UtcDatetime


@event("agent.changed", producer="workforce", key="agent_id")
class AgentChanged(EventPayload):
    """An agent joined, changed (team, skills, shift) or left (``closed`` with an exit date)."""

    agent_id: uuid.UUID
    subject: str = Field(description="The agent's login: the actor other services' events name.")
    team: TeamName
    role: str
    skills: tuple[Process, ...] = ()
    start_date: date
    exit_date: date | None = None
    change: Change
    changed_at: UtcDatetime


@event("sop.created", producer="workforce", key="sop_id")
class SopCreated(EventPayload):
    """A standard operating procedure was registered with the processes it covers (its versions follow)."""

    sop_id: uuid.UUID
    sop_code: str
    title: str
    processes: tuple[Process, ...]
    created_at: UtcDatetime


@event("sop.version_published", producer="workforce", key="sop_id")
class SopVersionPublished(EventPayload):
    """A new version of a standard operating procedure takes effect for the processes it covers."""

    sop_id: uuid.UUID
    sop_code: str
    version_id: uuid.UUID
    number: int = Field(ge=1)
    processes: tuple[Process, ...]
    effective_from: date
    published_at: UtcDatetime


@event("training.assigned", producer="workforce", key="assignment_id")
class TrainingAssigned(EventPayload):
    """An agent must complete the training of an SOP version (a new version, onboarding or a quality defect)."""

    assignment_id: uuid.UUID
    agent_id: uuid.UUID
    team: TeamName
    sop_code: str
    sop_version: int
    reason: Literal["sop_version", "onboarding", "quality_defect", "manual"]
    defect_code: str | None = None
    due_date: date | None = None
    assigned_at: UtcDatetime


@event("training.completed", producer="workforce", key="assignment_id")
class TrainingCompleted(EventPayload):
    """An agent completed the training of an SOP version."""

    assignment_id: uuid.UUID
    agent_id: uuid.UUID
    team: TeamName
    sop_code: str
    sop_version: int
    completed_at: UtcDatetime


@event("agent.untrained_work_flagged", producer="workforce", key="flag_id")
class UntrainedWorkFlagged(EventPayload):
    """An agent worked a process whose current SOP version it has not completed (once per agent and version)."""

    flag_id: uuid.UUID
    agent_id: uuid.UUID
    team: TeamName
    process: Process
    sop_code: str
    sop_version: int
    item_key: str
    flagged_at: UtcDatetime


@event("hypercare.changed", producer="workforce", key="window_id")
class HypercareChanged(EventPayload):
    """A hypercare window was opened, reviewed (its daily review) or closed."""

    window_id: uuid.UUID
    team: TeamName
    process: Process | None = None
    starts_on: date
    ends_on: date
    change: Literal["created", "reviewed", "closed"]
    changed_at: UtcDatetime


@event("improvement_plan.changed", producer="workforce", key="plan_id")
class ImprovementPlanChanged(EventPayload):
    """A performance improvement plan was opened, reviewed or closed with its outcome."""

    plan_id: uuid.UUID
    agent_id: uuid.UUID
    team: TeamName
    change: Literal["created", "reviewed", "closed"]
    outcome: Literal["succeeded", "extended", "exited"] | None = None
    changed_at: UtcDatetime


@event("contingency_plan.changed", producer="workforce", key="plan_id")
class ContingencyPlanChanged(EventPayload):
    """A contingency plan (process, trigger, owner, steps) was created or changed."""

    plan_id: uuid.UUID
    name: str
    process: Process
    owner: str
    trigger: Literal["escalation_opened", "sla_breached", "manual"]
    match: str | None = None
    steps: tuple[str, ...]
    active: bool
    change: Change
    changed_at: UtcDatetime


@event("contingency_plan.invoked", producer="workforce", key="plan_id")
class ContingencyPlanInvoked(EventPayload):
    """A contingency plan was invoked by an escalation, an SLA breach or a person."""

    plan_id: uuid.UUID
    invocation_id: uuid.UUID
    process: Process
    owner: str
    trigger: Literal["escalation_opened", "sla_breached", "manual"]
    source_key: str
    steps: tuple[str, ...]
    invoked_at: UtcDatetime


@event("quality.sample_taken", producer="workforce", key="sample_id")
class QualitySampleTaken(EventPayload):
    """A completed work item was picked for quality review by a sampling rule."""

    sample_id: uuid.UUID
    process: Process
    item_key: str
    agent: str
    team: TeamName | None = None
    boosted: bool = Field(description="Picked at the raised rate of an agent on a plan or in hypercare.")
    sampled_at: UtcDatetime


DefectCategory = Literal["data", "compliance", "customer_impact", "process", "communication"]


class DefectType(BaseModel):
    """One defect of the taxonomy of a process's review checklist."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    category: DefectCategory
    label: str = Field(min_length=1, max_length=200)


@event("quality.reviewed", producer="workforce", key="sample_id")
class QualityReviewed(EventPayload):
    """A reviewer scored a sampled item on its process checklist."""

    sample_id: uuid.UUID
    process: Process
    agent: str
    team: TeamName | None = None
    score: Measure = Field(description="Percent of the checklist's weight passed.")
    defects: tuple[str, ...] = ()
    defect_types: tuple[DefectType, ...] = Field(
        default=(), description="Each defect found as the process's taxonomy tells it (category and label); empty "
                                "from producers older than the field: a consumer then knows the codes only.")
    reviewer: str
    reviewed_at: UtcDatetime


class OutlookDay(BaseModel):
    """One working day of a queue's capacity outlook."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    day: date
    forecast_arrivals: Measure
    required_agents: int = Field(ge=0)
    rostered_agents: int = Field(ge=0)
    gap: int = Field(description="rostered - required: negative is short.")


@event("capacity.outlook_published", producer="workforce", key="process")
class CapacityOutlookPublished(EventPayload):
    """One queue's capacity outlook for its next working days (the latest replaces the ones before)."""

    process: Process
    team: TeamName | None = Field(default=None, description="The queue's team; None: the queue of every team.")
    model: Literal["erlang_c", "workload"]
    days: tuple[OutlookDay, ...] = Field(min_length=1, max_length=31)
    published_at: UtcDatetime
