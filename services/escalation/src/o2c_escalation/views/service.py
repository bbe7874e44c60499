"""Read-only views over the cases the caller may see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.auth import Principal
from o2c_common.errors import Forbidden
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_escalation.cases.models import OPEN_STATUSES, Case
from o2c_escalation.cases.schemas import CaseRead
from o2c_escalation.cases.service import SEE_ALL_ROLES, scoped, visibility
from o2c_escalation.views import repository
from o2c_escalation.views.schemas import AGING_BUCKETS, AgingReport, AgingRow, CountBy, CountReport, CountRow


async def my_cases(session: AsyncSession, *, principal: Principal, page: PageRequest) -> Page[CaseRead]:
    """Not-closed cases assigned to me or raised by me, newest first."""
    stmt = select(Case).where(or_(Case.assignee == principal.subject, Case.requester == principal.subject),
                              Case.status != "closed")
    return await _page(session, stmt, page=page, newest_first=True)


async def team_queue(session: AsyncSession, *, principal: Principal, team: str | None,
                     page: PageRequest) -> Page[CaseRead]:
    """A team's open cases, most severe first, then oldest first. Agents see their own team's queue only."""
    if not principal.roles & SEE_ALL_ROLES:
        if principal.team is None or (team is not None and team != principal.team):
            raise Forbidden("agents see their own team's queue only", type="team-access-denied",
                            title="Team access denied")
        team = principal.team
    stmt = select(Case).where(Case.status.in_(OPEN_STATUSES))
    if team is not None:
        stmt = stmt.where(Case.owning_team == team)
    stmt = keyset_select(stmt, page=page, order_by=(Case.severity, Case.opened_at, Case.id))
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda c: (c.severity, c.opened_at, c.id), item=CaseRead.model_validate)


async def breached(session: AsyncSession, *, principal: Principal, page: PageRequest) -> Page[CaseRead]:
    """Open cases that missed at least one SLA target."""
    stmt = scoped(select(Case).where(Case.breach_count > 0, Case.status.in_(OPEN_STATUSES)), principal)
    return await _page(session, stmt, page=page, newest_first=False)


async def aging(session: AsyncSession, *, principal: Principal) -> AgingReport:
    now = datetime.now(UTC)
    rows: dict[str, dict[str, int]] = {}
    for severity, bucket, count in await repository.aging(session, visible=visibility(principal), now=now):
        rows.setdefault(severity, dict.fromkeys(AGING_BUCKETS, 0))[bucket] = count
    return AgingReport(as_of=now, rows=[AgingRow(severity=s, buckets=b, total=sum(b.values()))
                                        for s, b in sorted(rows.items())])


async def counts(session: AsyncSession, *, principal: Principal, by: CountBy, open_only: bool) -> CountReport:
    rows = await repository.counts(session, by=by, visible=visibility(principal), open_only=open_only)
    return CountReport(by=by, rows=[CountRow(key=k, count=n) for k, n in rows])


async def _page(session: AsyncSession, stmt: Select[Any], *, page: PageRequest, newest_first: bool) -> Page[CaseRead]:
    query = keyset_select(stmt, page=page, order_by=(Case.opened_at, Case.id), descending=newest_first)
    rows = (await session.scalars(query)).all()
    return build_page(rows, page=page, key=lambda c: (c.opened_at, c.id), item=CaseRead.model_validate)
