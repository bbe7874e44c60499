from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound
from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_common.outbox import Outbox
from o2c_escalation.cases import repository
from o2c_escalation.cases.models import Case
from o2c_escalation.cases.schemas import CaseCreate, CaseRead

DEFAULT_L1_TEAM = "l1-desk"
SEE_ALL_ROLES = frozenset({"admin", "ar_supervisor", "service_delivery_lead"})
# Placeholder targets until business-hours SLA clocks arrive (escalation issue).
_ACK_HOURS = {"P1": 1, "P2": 4, "P3": 8, "P4": 24}
_RESOLVE_HOURS = {"P1": 8, "P2": 24, "P3": 72, "P4": 120}


async def open_case(session: AsyncSession, *, data: CaseCreate, requester: Principal, outbox: Outbox) -> Case:
    case = await repository.add(session, Case(
        id=uuid.uuid4(), title=data.title, description=data.description, requester=requester.subject,
        requester_function=data.requester_function, category=data.category, severity=data.severity, tier="L1",
        owning_team=data.owning_team or DEFAULT_L1_TEAM, customer_id=data.customer_id,
        invoice_ids=list(data.invoice_ids), source="api", status="open",
    ))
    await record_audit(session, actor=requester.subject, action="case.opened", entity_type="case",
                       entity_id=str(case.id), after={"severity": case.severity, "category": case.category})
    now = datetime.now(UTC)
    await outbox.emit(session, EscalationOpened(
        case_id=case.id, case_number=case.number, category=data.category, severity=data.severity, tier="L1",
        owning_team=case.owning_team, customer_id=case.customer_id, source="api", title=case.title,
        requester=case.requester, requester_function=case.requester_function, invoice_ids=tuple(case.invoice_ids),
        opened_at=now, acknowledge_due_at=now + timedelta(hours=_ACK_HOURS[case.severity]),
        resolve_due_at=now + timedelta(hours=_RESOLVE_HOURS[case.severity]),
    ))
    return case


async def get(session: AsyncSession, *, case_id: uuid.UUID, principal: Principal) -> Case:
    case = await repository.get(session, case_id=case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    if not _may_see(principal, case):
        raise NotFound(f"case {case_id} does not exist")  # do not reveal others' cases
    return case


async def list_page(session: AsyncSession, *, page: PageRequest, principal: Principal) -> Page[CaseRead]:
    stmt = select(Case)
    if not principal.roles & SEE_ALL_ROLES:
        mine = Case.requester == principal.subject
        stmt = stmt.where(or_(mine, Case.owning_team == principal.team) if principal.team else mine)
    stmt = keyset_select(stmt, page=page, order_by=(Case.opened_at, Case.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda c: (c.opened_at, c.id), item=CaseRead.model_validate)


def _may_see(principal: Principal, case: Case) -> bool:
    if principal.roles & SEE_ALL_ROLES:
        return True
    if principal.team is not None and principal.team == case.owning_team:
        return True
    return case.requester == principal.subject



