from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status

from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.http import IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep
from o2c_workforce.permissions import (
    Manager,
    PeopleReader,
    PerformanceReader,
    PlanningReader,
    ProcedureReader,
    Reviewer,
    ensure_reads_people,
)
from o2c_workforce.processes import Process
from o2c_workforce.quality import service
from o2c_workforce.quality.models import SampleStatus
from o2c_workforce.quality.schemas import (
    ChecklistRead,
    ChecklistWrite,
    FirstPass,
    QualityScore,
    ReviewCreate,
    RuleCreate,
    RuleRead,
    SampleRead,
)

router = APIRouter(prefix="/quality", tags=["quality review"])
Level = Literal["agent", "team", "vendor"]


@router.post("/rules", status_code=status.HTTP_201_CREATED, response_model=RuleRead,
             responses=problem_responses(401, 403, 422))
async def create_rule(data: RuleCreate, tx: TxDep, principal: Manager) -> RuleRead:
    """A sampling rule for a process (optionally one team or agent): a rate of items, or a count per period;
    `boost` times more for agents on an improvement plan or in hypercare. The most specific rule applies."""
    return RuleRead.model_validate(await service.create_rule(tx, data))


@router.get("/rules", response_model=list[RuleRead], responses=problem_responses(401, 403))
async def list_rules(tx: TxDep, principal: PlanningReader) -> list[RuleRead]:
    return [RuleRead.model_validate(r) for r in await service.list_rules(tx)]


@router.put("/checklists/{process}", response_model=ChecklistRead, responses=problem_responses(401, 403, 422))
async def put_checklist(process: Process, data: ChecklistWrite, tx: TxDep, principal: Manager) -> ChecklistRead:
    """Create or replace the review checklist (weighted items) and defect taxonomy of a process."""
    return ChecklistRead.model_validate(await service.put_checklist(tx, process, data))


@router.get("/checklists/{process}", response_model=ChecklistRead, responses=problem_responses(401, 403, 404, 422))
async def get_checklist(process: Process, tx: TxDep, principal: ProcedureReader) -> ChecklistRead:
    return ChecklistRead.model_validate(await service.get_checklist(tx, process))


@router.get("/samples", response_model=Page[SampleRead], responses=problem_responses(401, 403, 422))
async def list_samples(tx: TxDep, principal: PeopleReader,
                       page: PageParams, team: str | None = None, agent: str | None = None,
                       process: Process | None = None, status: SampleStatus | None = None) -> Page[SampleRead]:
    """Sampled work items, oldest first (a vendor agent sees its own team's)."""
    return await service.list_samples(tx, page=page, team=team, agent=agent, process=process, status=status)


@router.get("/samples/{sample_id}", response_model=SampleRead, responses=problem_responses(401, 403, 404, 422))
async def get_sample(sample_id: uuid.UUID, response: Response, tx: TxDep, principal: PeopleReader) -> SampleRead:
    sample = await service.get_sample(tx, sample_id)
    set_etag(response, etag=version_etag(sample))
    return SampleRead.model_validate(sample)


@router.post("/samples/{sample_id}/review", response_model=SampleRead,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def review(sample_id: uuid.UUID, data: ReviewCreate, response: Response, tx: TxDep, if_match: IfMatchDep,
                 principal: Reviewer) -> SampleRead:
    """Score a sampled item on its process's checklist and record the defects found (from the taxonomy); a defect
    creates a training need on the process's current SOP. Needs `If-Match` with the sample's ETag."""
    sample = await service.get_sample(tx, sample_id, for_update=True)
    if_match(version_etag(sample))
    sample = await service.review(tx, sample, data)
    set_etag(response, etag=version_etag(sample))
    return SampleRead.model_validate(sample)


@router.get("/scores", response_model=list[QualityScore], responses=problem_responses(401, 403, 422))
async def scores(tx: TxDep, principal: PerformanceReader,
                 level: Level = "agent", team: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[QualityScore]:
    """Average review score and defects by code, per agent, team or vendor, of reviews in [since, until); per agent
    only for readers of people (a viewer: by team or vendor)."""
    if level == "agent":
        ensure_reads_people(principal, "quality scores")
    return await service.scores(tx, level=level, team=team, since=since, until=until)


@router.get("/first-pass", response_model=list[FirstPass], responses=problem_responses(401, 403, 422))
async def first_pass(tx: TxDep, principal: PerformanceReader,
                     level: Level = "agent", team: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> list[FirstPass]:
    """First-pass portal acceptance of the invoices each agent (team, vendor) prepared, with the rejection reasons
    of the first submissions attributed to the preparer. Per agent only for readers of people."""
    if level == "agent":
        ensure_reads_people(principal, "first-pass figures")
    return await service.first_pass(tx, level=level, team=team, since=since, until=until)
