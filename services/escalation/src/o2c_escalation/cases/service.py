from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import Forbidden, NotFound
from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.http import Page, PageRequest, build_page, keyset_select, make_etag
from o2c_common.outbox import Outbox
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
from o2c_escalation.config import EscalationSettings
from o2c_escalation.deps import Precondition
from o2c_escalation.routing.service import l1_team
from o2c_escalation.sla import service as sla
from o2c_escalation.webhooks.service import emit

SEE_ALL_ROLES = frozenset({"admin", "ar_supervisor", "service_delivery_lead"})
SYSTEM = "system:escalation"


@dataclass(frozen=True)
class NewCase:
    """What opens a case, from a person or from an event."""

    title: str
    description: str
    requester: str
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


def etag(case: Case) -> str:
    return make_etag(entity_id=case.id, version=case.version)


async def open_case(session: AsyncSession, *, data: CaseCreate, requester: Principal, outbox: Outbox,
                    settings: EscalationSettings) -> Case:
    new = NewCase(title=data.title, description=data.description, requester=requester.subject,
                  requester_function=data.requester_function, category=data.category, severity=data.severity,
                  source="api", owning_team=data.owning_team, customer_id=data.customer_id,
                  legal_entity=data.legal_entity, region=data.region, invoice_ids=tuple(data.invoice_ids))
    case = await open_new(session, new=new, outbox=outbox, settings=settings)
    assert case is not None  # cases from people have no source key
    return case


async def open_new(session: AsyncSession, *, new: NewCase, outbox: Outbox, settings: EscalationSettings,
                   now: datetime | None = None) -> Case | None:
    """Open a case at L1 with its SLA clocks; None when a not-closed case already has ``new.source_key``."""
    now = now or datetime.now(UTC)
    team = await l1_team(session, owning_team=new.owning_team, category=new.category, region=new.region,
                         customer_id=new.customer_id, severity=new.severity, default=settings.default_l1_team)
    values: dict[str, object] = {
        "id": uuid.uuid4(), "title": new.title, "description": new.description, "requester": new.requester,
        "requester_function": new.requester_function, "category": new.category, "severity": new.severity,
        "tier": "L1", "owning_team": team, "l1_team": team, "customer_id": new.customer_id,
        "legal_entity": new.legal_entity, "region": new.region, "invoice_ids": list(new.invoice_ids),
        "source": new.source, "source_key": new.source_key, "source_event_id": new.source_event_id,
        "status": "open", "opened_at": now, "version": 1, "breach_count": 0, "reopened_count": 0,
    }
    if new.source_key is None:
        case: Case | None = await repository.add(session, Case(**values))
    else:
        case = await repository.add_if_no_open_case(session, values)
        if case is None:
            return None
    assert case is not None
    await sla.start_clocks(session, case=case, now=now)
    await session.flush()
    await repository.add_history(
        session, StatusChange(case_id=case.id, from_status=None, to_status="open", actor=new.requester),
        OwnershipChange(case_id=case.id, tier="L1", team=team, assignee=None, reason="routed", actor=SYSTEM))
    await record_audit(session, actor=new.requester, action="case.opened", entity_type="case", entity_id=case.id,
                       after={"severity": case.severity, "category": case.category, "team": team,
                              "source": case.source, "source_key": case.source_key})
    assert case.acknowledge_due_at is not None and case.resolve_due_at is not None
    await emit(session, outbox=outbox, payload=EscalationOpened(
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
    if principal.roles & SEE_ALL_ROLES:
        return True
    return principal.team is not None and principal.team in (case.owning_team, case.l1_team)


def may_see(principal: Principal, case: Case) -> bool:
    return is_staff(principal, case) or case.requester == principal.subject


def visibility(principal: Principal) -> ColumnElement[bool] | None:
    """The WHERE clause restricting lists to what the principal may see (None: everything)."""
    if principal.roles & SEE_ALL_ROLES:
        return None
    mine = Case.requester == principal.subject
    if principal.team:
        return or_(mine, Case.owning_team == principal.team, Case.l1_team == principal.team)
    return mine if principal.subject else false()


async def get(session: AsyncSession, *, case_id: uuid.UUID, principal: Principal, for_update: bool = False) -> Case:
    case = await repository.get(session, case_id=case_id, for_update=for_update)
    if case is None or not may_see(principal, case):
        raise NotFound(f"case {case_id} does not exist")  # never reveal others' cases
    return case


async def get_for_work(session: AsyncSession, *, case_id: uuid.UUID, principal: Principal,
                       precondition: Precondition | None = None) -> Case:
    """The case locked for a change by its staff; the If-Match precondition checked under the lock."""
    case = await get(session, case_id=case_id, principal=principal, for_update=True)
    if not is_staff(principal, case):
        raise Forbidden("only the owning team, supervisors and leads may change this case",
                        type="case-access-denied", title="Case access denied")
    if precondition is not None:
        precondition(etag(case))
    return case


def scoped(stmt: Select[Case], principal: Principal) -> Select[Case]:
    clause = visibility(principal)
    return stmt if clause is None else stmt.where(clause)


async def list_page(session: AsyncSession, *, page: PageRequest, principal: Principal, status: str | None = None,
                    severity: str | None = None, team: str | None = None) -> Page[CaseRead]:
    stmt = scoped(select(Case), principal)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    if severity is not None:
        stmt = stmt.where(Case.severity == severity)
    if team is not None:
        stmt = stmt.where(Case.owning_team == team)
    stmt = keyset_select(stmt, page=page, order_by=(Case.opened_at, Case.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda c: (c.opened_at, c.id), item=CaseRead.model_validate)


# --- assignment, contingency plan, history ---------------------------------------------------------------


async def assign(session: AsyncSession, *, case_id: uuid.UUID, data: AssignmentWrite, principal: Principal,
                 precondition: Precondition) -> Case:
    case = await get_for_work(session, case_id=case_id, principal=principal, precondition=precondition)
    team = data.team or case.owning_team
    if team != case.owning_team and not principal.roles & SEE_ALL_ROLES:
        raise Forbidden("only supervisors and leads move a case to another team's queue",
                        type="case-access-denied", title="Case access denied")
    before = {"team": case.owning_team, "assignee": case.assignee}
    now = datetime.now(UTC)
    if team != case.owning_team:
        await sla.move_to_team(session, case=case, team=team, now=now)
    case.owning_team, case.assignee = team, data.assignee
    await session.flush()
    reason = "reassigned" if before["assignee"] or before["team"] != team else "assigned"
    await repository.add_history(session, OwnershipChange(case_id=case.id, tier=case.tier, team=team,
                                                          assignee=data.assignee, reason=reason,
                                                          actor=principal.subject))
    await record_audit(session, actor=principal, action=f"case.{reason}", entity_type="case", entity_id=case.id,
                       reason=data.reason, before=before, after={"team": team, "assignee": data.assignee})
    return case


async def set_contingency_plan(session: AsyncSession, *, case_id: uuid.UUID, data: ContingencyPlanWrite,
                               principal: Principal, precondition: Precondition) -> Case:
    case = await get_for_work(session, case_id=case_id, principal=principal, precondition=precondition)
    before = {"url": case.contingency_plan_url, "note": case.contingency_plan_note}
    case.contingency_plan_url, case.contingency_plan_note = str(data.url), data.note
    await session.flush()
    await record_audit(session, actor=principal, action="case.contingency_plan_linked", entity_type="case",
                       entity_id=case.id, before=before, after=data)
    return case


async def history(session: AsyncSession, *, case_id: uuid.UUID, principal: Principal) -> CaseHistory:
    case = await get(session, case_id=case_id, principal=principal)
    return CaseHistory(
        status=[StatusChangeRead.model_validate(r) for r in await repository.status_history(session, case_id=case.id)],
        ownership=[OwnershipChangeRead.model_validate(r)
                   for r in await repository.ownership_history(session, case_id=case.id)],
    )
