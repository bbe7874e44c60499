"""Opening a case (from a person or an event), who may see and work it, assignment, contingency plan, history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from o2c_common.auth import Principal
from o2c_common.errors import Forbidden, NotFound
from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_escalation.cases import repository
from o2c_escalation.cases.models import Case, OwnershipChange, StatusChange
from o2c_escalation.cases.schemas import (
    AssignmentWrite,
    CaseCreate,
    CaseHistory,
    CaseRead,
    ContingencyPlanWrite,
    OwnershipChangeRead,
    StatusChangeRead,
)
from o2c_escalation.cases.states import CaseStatus, Tier
from o2c_escalation.config import EscalationSettings
from o2c_escalation.permissions import manages_cases
from o2c_escalation.routing.service import l1_team
from o2c_escalation.sla import service as sla
from o2c_escalation.webhooks.service import emit

SYSTEM = "system:escalation"


@dataclass(frozen=True)
class NewCase:
    """What opens a case, from a person or from an event; its requester is the transaction's actor."""

    title: str
    description: str
    requester_function: str
    category: str
    severity: str
    source: str
    owning_team: str | None = None
    customer_id: str | None = None
    legal_entity: str | None = None
    region: str | None = None
    invoice_ids: tuple[uuid.UUID, ...] = field(default_factory=tuple)
    source_key: str | None = None
    source_event_id: uuid.UUID | None = None


async def open_case(tx: Tx, *, data: CaseCreate, settings: EscalationSettings) -> Case:
    new = NewCase(title=data.title, description=data.description, requester_function=data.requester_function,
                  category=data.category, severity=data.severity, source="api", owning_team=data.owning_team,
                  customer_id=data.customer_id, legal_entity=data.legal_entity, region=data.region,
                  invoice_ids=tuple(data.invoice_ids))
    case = await open_new(tx, new=new, settings=settings)
    assert case is not None  # cases from people have no source key
    return case


async def open_new(tx: Tx, *, new: NewCase, settings: EscalationSettings, now: datetime | None = None) -> Case | None:
    """Open a case at L1 with its SLA clocks; None when a not-closed case already has ``new.source_key``."""
    now = now or tx.now()
    requester = tx.actor.subject
    team = await l1_team(tx, owning_team=new.owning_team, category=new.category, region=new.region,
                         customer_id=new.customer_id, severity=new.severity, default=settings.default_l1_team)
    values: dict[str, object] = {
        "id": uuid.uuid4(), "title": new.title, "description": new.description, "requester": requester,
        "requester_function": new.requester_function, "category": new.category, "severity": new.severity,
        "tier": Tier.L1, "owning_team": team, "l1_team": team, "customer_id": new.customer_id,
        "legal_entity": new.legal_entity, "region": new.region, "invoice_ids": list(new.invoice_ids),
        "source": new.source, "source_key": new.source_key, "source_event_id": new.source_event_id,
        "status": CaseStatus.OPEN, "opened_at": now, "version": 1, "breach_count": 0, "reopened_count": 0,
    }
    if new.source_key is None:
        case: Case | None = await repository.add(tx.session, Case(**values))
    else:
        case = await repository.add_if_no_open_case(tx.session, values)
        if case is None:
            return None
    assert case is not None
    await sla.start_clocks(tx, case=case, now=now)
    await tx.session.flush()
    await repository.add_history(
        tx.session, StatusChange(case_id=case.id, from_status=None, to_status=CaseStatus.OPEN, actor=requester),
        OwnershipChange(case_id=case.id, tier=Tier.L1, team=team, assignee=None, reason="routed", actor=SYSTEM))
    await tx.audit("case.opened", entity_type="case", entity_id=case.id,
                   after={"severity": case.severity, "category": case.category, "team": team,
                          "source": case.source, "source_key": case.source_key})
    assert case.acknowledge_due_at is not None and case.resolve_due_at is not None
    await emit(tx, EscalationOpened(
        **fact(case), source=new.source, source_key=new.source_key,
        source_event_id=new.source_event_id, title=case.title, requester=case.requester,
        requester_function=case.requester_function, invoice_ids=tuple(case.invoice_ids), opened_at=case.opened_at,
        acknowledge_due_at=case.acknowledge_due_at, resolve_due_at=case.resolve_due_at,
    ))
    return case


def fact(case: Case) -> dict[str, object]:
    """The routing facts every escalation event repeats."""
    return {"case_id": case.id, "case_number": case.number, "category": case.category, "severity": case.severity,
            "tier": case.tier, "owning_team": case.owning_team, "assignee": case.assignee,
            "customer_id": case.customer_id, "legal_entity": case.legal_entity, "region": case.region}


# --- access ----------------------------------------------------------------------------------------------


def is_staff(principal: Principal, case: Case) -> bool:
    """Supervisors and leads work every case; a vendor agent the cases of its team (current or L1)."""
    if manages_cases(principal):
        return True
    return principal.team is not None and principal.team in (case.owning_team, case.l1_team)


def may_see(principal: Principal, case: Case) -> bool:
    return is_staff(principal, case) or case.requester == principal.subject


async def get(tx: Tx, *, case_id: uuid.UUID, for_update: bool = False) -> Case:
    case = await repository.get(tx.session, case_id=case_id, for_update=for_update)
    if case is None or not may_see(tx.actor, case):
        raise NotFound(f"case {case_id} does not exist")  # never reveal others' cases
    return case


def deny_work(verb: str) -> Forbidden:
    return Forbidden(f"only the owning team, supervisors and leads may {verb}", type="case-access-denied",
                     title="Case access denied")


async def lock_for_work(tx: Tx, *, case_id: uuid.UUID, verb: str = "change this case") -> Case:
    """The case locked for a change by its staff (the router checks If-Match against it next)."""
    case = await get(tx, case_id=case_id, for_update=True)
    if not is_staff(tx.actor, case):
        raise deny_work(verb)
    return case


async def list_page(tx: Tx, *, page: PageRequest, status: CaseStatus | None = None, severity: str | None = None,
                    team: str | None = None) -> Page[CaseRead]:
    return await repository.page_visible(tx.session, principal=tx.actor, page=page, status=status,
                                         severity=severity, team=team)


# --- assignment, contingency plan, history ---------------------------------------------------------------


async def assign(tx: Tx, case: Case, *, data: AssignmentWrite) -> Case:
    team = data.team or case.owning_team
    if team != case.owning_team and not manages_cases(tx.actor):
        raise Forbidden("only supervisors and leads move a case to another team's queue",
                        type="case-access-denied", title="Case access denied")
    before = {"team": case.owning_team, "assignee": case.assignee}
    if team != case.owning_team:
        await sla.move_to_team(tx, case=case, team=team, now=tx.now())
    case.owning_team, case.assignee = team, data.assignee
    await tx.session.flush()
    reason = "reassigned" if before["assignee"] or before["team"] != team else "assigned"
    await repository.add_history(tx.session, OwnershipChange(case_id=case.id, tier=case.tier, team=team,
                                                             assignee=data.assignee, reason=reason,
                                                             actor=tx.actor.subject))
    await tx.audit(f"case.{reason}", entity_type="case", entity_id=case.id, reason=data.reason, before=before,
                   after={"team": team, "assignee": data.assignee})
    return case


async def set_contingency_plan(tx: Tx, case: Case, *, data: ContingencyPlanWrite) -> Case:
    before = {"url": case.contingency_plan_url, "note": case.contingency_plan_note}
    case.contingency_plan_url, case.contingency_plan_note = str(data.url), data.note
    await tx.session.flush()
    await tx.audit("case.contingency_plan_linked", entity_type="case", entity_id=case.id, before=before, after=data)
    return case


async def history(tx: Tx, *, case_id: uuid.UUID) -> CaseHistory:
    case = await get(tx, case_id=case_id)
    return CaseHistory(
        status=[StatusChangeRead.model_validate(r)
                for r in await repository.status_history(tx.session, case_id=case.id)],
        ownership=[OwnershipChangeRead.model_validate(r)
                   for r in await repository.ownership_history(tx.session, case_id=case.id)],
    )
