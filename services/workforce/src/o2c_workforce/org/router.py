from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query, Response, status

from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep
from o2c_workforce.org import service
from o2c_workforce.org.schemas import (
    AgentCreate,
    AgentRead,
    AgentUpdate,
    TeamCreate,
    TeamRead,
    VendorCreate,
    VendorRead,
)
from o2c_workforce.permissions import Manager, PeopleReader, PerformanceReader, ProcedureReader
from o2c_workforce.processes import Process

router = APIRouter(tags=["vendors, teams and agents"])


@router.post("/vendors", status_code=status.HTTP_201_CREATED, response_model=VendorRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_vendor(data: VendorCreate, tx: TxDep, principal: Manager) -> VendorRead:
    """Register a vendor organisation (a BPO provider, or the company's own shared-service centre)."""
    return VendorRead.model_validate(await service.create_vendor(tx, data))


@router.get("/vendors", response_model=list[VendorRead], responses=problem_responses(401, 403))
async def list_vendors(tx: TxDep, principal: ProcedureReader) -> list[VendorRead]:
    return [VendorRead.model_validate(v) for v in await service.list_vendors(tx)]


@router.post("/teams", status_code=status.HTTP_201_CREATED, response_model=TeamRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_team(data: TeamCreate, tx: TxDep, principal: Manager) -> TeamRead:
    """Register a team; its code is the `team` claim of its agents' tokens and the accounts' owning team."""
    return TeamRead.model_validate(await service.create_team(tx, data))


@router.get("/teams", response_model=list[TeamRead], responses=problem_responses(401, 403))
async def list_teams(tx: TxDep, principal: PerformanceReader) -> list[TeamRead]:
    """Every team (a vendor agent: its own)."""
    return [TeamRead.model_validate(t) for t in await service.list_teams(tx)]


@router.post("/agents", status_code=status.HTTP_201_CREATED, response_model=AgentRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_agent(data: AgentCreate, tx: TxDep, principal: Manager, idem: IdempotencyDep) -> Response:
    """Add an agent to a team with skills, languages, regions, shift calendar and start date. An
    `Idempotency-Key` makes a retry return the first answer."""
    agent = await service.create_agent(tx, data)
    return await idem.respond(tx.session, status_code=201, content=AgentRead.model_validate(agent),
                              headers={"ETag": version_etag(agent)})


@router.get("/agents", response_model=Page[AgentRead], responses=problem_responses(401, 403, 422))
async def list_agents(tx: TxDep, principal: PeopleReader,
                      page: PageParams, team: str | None = None, skill: Process | None = None,
                      active_on: date | None = Query(default=None, description="Only agents employed that day.")
                      ) -> Page[AgentRead]:
    """Agents by login, one page at a time (a vendor agent sees its own team only)."""
    return await service.list_agents(tx, page=page, team=team, skill=skill, active_on=active_on)


@router.get("/agents/{agent_id}", response_model=AgentRead, responses=problem_responses(401, 403, 404, 422))
async def get_agent(agent_id: uuid.UUID, response: Response, tx: TxDep, principal: PeopleReader) -> AgentRead:
    agent = await service.get_agent(tx, agent_id)
    set_etag(response, etag=version_etag(agent))
    return AgentRead.model_validate(agent)


@router.patch("/agents/{agent_id}", response_model=AgentRead,
              responses=problem_responses(401, 403, 404, 412, 422, 428))
async def update_agent(agent_id: uuid.UUID, data: AgentUpdate, response: Response, tx: TxDep,
                       if_match: IfMatchDep, principal: Manager) -> AgentRead:
    """Change an agent's team, role, skills, languages, regions or shift, or record its exit (date and reason).
    Needs `If-Match` with the agent's ETag."""
    agent = await service.get_agent(tx, agent_id, for_update=True)
    if_match(version_etag(agent))
    agent = await service.update_agent(tx, agent, data)
    set_etag(response, etag=version_etag(agent))
    return AgentRead.model_validate(agent)
