"""Vendor organisations, their teams and the agents in them. Vendor agents see only their own team."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from o2c_common.auth.dependencies import visible_team
from o2c_common.entities import keyset_page, load_visible
from o2c_common.errors import Conflict, Forbidden, ValidationFailed
from o2c_common.events.contracts.workforce import AgentChanged, TeamChanged, VendorChanged
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_workforce.org import repository
from o2c_workforce.org.models import Agent, Team, Vendor
from o2c_workforce.org.schemas import (
    AgentCreate,
    AgentRead,
    AgentUpdate,
    TeamCreate,
    TeamRead,
    VendorCreate,
    VendorRead,
)


async def create_vendor(tx: Tx, data: VendorCreate) -> Vendor:
    if await repository.vendor_by_code(tx.session, data.code) is not None:
        raise Conflict(f"vendor {data.code!r} exists already")
    vendor = await repository.add(tx.session, Vendor(id=uuid.uuid4(), **data.model_dump()))
    await tx.audit("vendor.created", entity_type="vendor", entity_id=vendor.id, after=VendorRead.model_validate(vendor))
    await tx.emit(VendorChanged(vendor_id=vendor.id, code=vendor.code, name=vendor.name, change="created",
                                changed_at=tx.now()))
    return vendor


async def create_team(tx: Tx, data: TeamCreate) -> Team:
    if await repository.team_by_code(tx.session, data.code) is not None:
        raise Conflict(f"team {data.code!r} exists already")
    vendor = None
    if data.vendor_code is not None:
        vendor = await repository.vendor_by_code(tx.session, data.vendor_code)
        if vendor is None:
            raise invalid("/vendor_code", f"no vendor {data.vendor_code!r}")
    team = await repository.add(tx.session, Team(id=uuid.uuid4(), code=data.code, name=data.name,
                                                 vendor_id=vendor.id if vendor else None, time_zone=data.time_zone))
    await tx.audit("team.created", entity_type="team", entity_id=team.id, after=TeamRead.model_validate(team))
    await tx.emit(TeamChanged(team_id=team.id, team=team.code, vendor_code=data.vendor_code, change="created",
                              changed_at=tx.now()))
    return team


async def list_vendors(tx: Tx) -> list[Vendor]:
    return await repository.vendors(tx.session)


async def list_teams(tx: Tx) -> list[Team]:
    return await repository.teams(tx.session, team=visible_team(tx.actor))


async def create_agent(tx: Tx, data: AgentCreate) -> Agent:
    await _require_team(tx, data.team, pointer="/team")
    if await repository.agent_by_subject(tx.session, data.subject) is not None:
        raise Conflict(f"agent {data.subject!r} exists already")
    values = data.model_dump(exclude={"team"})
    agent = await repository.add(tx.session, Agent(id=uuid.uuid4(), owning_team=data.team, **values))
    await tx.audit("agent.created", entity_type="agent", entity_id=agent.id, after=AgentRead.model_validate(agent))
    await _emit(tx, agent, "created")
    return agent


async def get_agent(tx: Tx, agent_id: uuid.UUID, *, for_update: bool = False) -> Agent:
    return await load_visible(tx, Agent, agent_id, for_update=for_update, label="agent")


async def update_agent(tx: Tx, agent: Agent, data: AgentUpdate) -> Agent:
    changes = data.model_dump(exclude_unset=True, exclude={"shift"})
    if not changes and data.shift is None:
        raise invalid("", "give at least one field to change")
    nulls = [name for name, value in changes.items() if value is None and name not in ("exit_date", "exit_reason")]
    if nulls:
        raise ValidationFailed("only exit_date and exit_reason may be null", errors=[
            {"pointer": f"#/{name}", "detail": f"{name} cannot be null"} for name in nulls])
    before = AgentRead.model_validate(agent)
    if "team" in changes:
        await _require_team(tx, changes["team"], pointer="/team")
        agent.owning_team = changes.pop("team")
    if data.shift is not None:
        changes.update(data.shift.model_dump())
    for name, value in changes.items():
        setattr(agent, name, value)
    if agent.exit_date is not None and agent.exit_date < agent.start_date:
        raise invalid("/exit_date", "the exit date cannot be before the start date")
    await tx.session.flush()
    await tx.audit("agent.updated", entity_type="agent", entity_id=agent.id, before=before,
                   after=AgentRead.model_validate(agent))
    await _emit(tx, agent, "closed" if "exit_date" in changes and agent.exit_date else "updated")
    return agent


async def list_agents(tx: Tx, *, page: PageRequest, team: str | None, skill: str | None,
                      active_on: date | None) -> Page[AgentRead]:
    stmt = repository.agents_query(team=scoped_team(tx, team), skill=skill, active_on=active_on)
    return await keyset_page(tx.session, stmt, page=page, order_by=[Agent.subject, Agent.id],
                             item=AgentRead.model_validate)


async def agent_for_subject(tx: Tx, subject: str) -> Agent | None:
    return await repository.agent_by_subject(tx.session, subject)


async def agents_for_subjects(tx: Tx, subjects: Collection[str]) -> dict[str, Agent]:
    """The agents among ``subjects`` (a batch's workers; system actors are none), by subject."""
    return await repository.agents_by_subject(tx.session, subjects)


def scoped_team(tx: Tx, team: str | None) -> str | None:
    """The team a read is restricted to: the asked one, or the caller's own for a vendor agent (403 for another)."""
    scope = visible_team(tx.actor)
    if scope is None:
        return team
    if team is not None and team != scope:
        raise Forbidden("this team is another team's", type="team-access-denied", title="Team access denied")
    return scope


async def _require_team(tx: Tx, code: str, *, pointer: str) -> Team:
    team = await repository.team_by_code(tx.session, code)
    if team is None:
        raise invalid(pointer, f"no team {code!r}")
    return team


async def _emit(tx: Tx, agent: Agent, change: str) -> None:
    await tx.emit(AgentChanged(agent_id=agent.id, subject=agent.subject, team=agent.owning_team, role=agent.role,
                               skills=tuple(agent.skills), start_date=agent.start_date, exit_date=agent.exit_date,
                               change=change, changed_at=tx.now()))


def invalid(pointer: str, detail: str) -> ValidationFailed:
    """A 422 naming the body member at ``pointer`` (``/team``; ``""`` for the whole body)."""
    return ValidationFailed(detail, errors=[{"pointer": f"#{pointer}", "detail": detail}])
