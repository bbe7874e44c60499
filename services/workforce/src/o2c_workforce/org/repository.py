from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import where_equal
from o2c_workforce.org.models import Agent, Team, Vendor


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def vendor_by_code(session: AsyncSession, code: str) -> Vendor | None:
    return (await session.scalars(select(Vendor).where(Vendor.code == code))).one_or_none()


async def team_by_code(session: AsyncSession, code: str) -> Team | None:
    return (await session.scalars(select(Team).where(Team.code == code))).one_or_none()


async def vendors(session: AsyncSession) -> list[Vendor]:
    return list((await session.scalars(select(Vendor).order_by(Vendor.code))).all())


async def teams(session: AsyncSession, *, team: str | None) -> list[Team]:
    return list((await session.scalars(where_equal(select(Team), {Team.code: team}).order_by(Team.code))).all())


async def agent_by_subject(session: AsyncSession, subject: str) -> Agent | None:
    return (await session.scalars(select(Agent).where(Agent.subject == subject))).one_or_none()


async def agents_by_subject(session: AsyncSession, subjects: Collection[str]) -> dict[str, Agent]:
    """The agents of ``subjects`` that are agents, by subject, in one statement."""
    if not subjects:
        return {}
    stmt = select(Agent).where(Agent.subject.in_(sorted(subjects)))
    return {agent.subject: agent for agent in (await session.scalars(stmt)).all()}


def agents_query(*, team: str | None, skill: str | None, active_on: date | None) -> Select[Any]:
    stmt = where_equal(select(Agent), {Agent.owning_team: team})
    if skill is not None:
        stmt = stmt.where(Agent.skills.contains([skill]))
    if active_on is not None:
        stmt = stmt.where(Agent.start_date <= active_on, or_(Agent.exit_date.is_(None), Agent.exit_date > active_on))
    return stmt


async def agents(session: AsyncSession, *, team: str | None = None, skill: str | None = None) -> list[Agent]:
    stmt = agents_query(team=team, skill=skill, active_on=None).order_by(Agent.subject)
    return list((await session.execute(stmt)).scalars().all())


async def team_vendors(session: AsyncSession) -> dict[str, str | None]:
    """team code → vendor code (None for internal teams)."""
    stmt = select(Team.code, Vendor.code).outerjoin(Vendor, Vendor.id == Team.vendor_id)
    return {team: vendor for team, vendor in (await session.execute(stmt)).all()}
