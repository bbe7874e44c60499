from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path

from o2c_collections.deps import RuleId, SettingsDep
from o2c_collections.dunning import service
from o2c_collections.dunning.models import StatementStatus
from o2c_collections.dunning.schemas import (
    PolicyRead,
    PolicyWrite,
    RunRead,
    RunResult,
    StatementRead,
    TemplateRead,
    TemplateWrite,
)
from o2c_collections.permissions import Supervisor, Worker
from o2c_common.auth import visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/dunning", tags=["dunning"])
Language = Annotated[str, Path(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]


@router.get("/policies", response_model=list[PolicyRead], responses=problem_responses(401))
async def list_policies(tx: TxDep, _principal: Worker) -> list[PolicyRead]:
    """The policies per customer segment (`standard` and `key_account` are seeded)."""
    return await service.list_policies(tx)


@router.put("/policies/{policy_id}", response_model=PolicyRead, responses=problem_responses(401, 403, 422))
async def put_policy(policy_id: RuleId, data: PolicyWrite, tx: TxDep, _principal: Supervisor) -> PolicyRead:
    """Create or replace a segment's policy: levels with days past due, channel, template, minimum amount."""
    return await service.put_policy(tx, policy_id=policy_id, data=data)


@router.get("/templates", response_model=list[TemplateRead], responses=problem_responses(401))
async def list_templates(tx: TxDep, _principal: Worker) -> list[TemplateRead]:
    """Every template's subject and body per language (en and de seeded for each level of the seeded policies)."""
    return await service.list_templates(tx)


@router.put("/templates/{template}/{language}", response_model=TemplateRead,
            responses=problem_responses(401, 403, 422))
async def put_template(template: RuleId, language: Language, data: TemplateWrite, tx: TxDep,
                       _principal: Supervisor) -> TemplateRead:
    """Create or replace a template in one language; its `str.format` fields are checked (422 on an unknown one)."""
    return await service.put_template(tx, template=template, language=language, data=data)


@router.post("/runs", response_model=RunResult, responses=problem_responses(401, 403, 422))
async def run_dunning(tx: TxDep, _principal: Supervisor, settings: SettingsDep, as_of: date | None = None) -> RunResult:
    """Run dunning now (it also runs daily in the background): one statement per customer and currency whose next
    level is due, listing every overdue invoice; levels are never skipped; each statement's outcome is listed, a
    failed one with its reason (the next run tries it again)."""
    return await service.run(tx, as_of=as_of or tx.now().date(), settings=settings)


@router.get("/runs/{run_id}", response_model=RunRead, responses=problem_responses(401, 403, 404, 422))
async def get_run(run_id: uuid.UUID, tx: TxDep, _principal: Worker) -> RunRead:
    """The statements of a run with their invoices, recipients and outcome."""
    return await service.get_run(tx, run_id=run_id, team=visible_team(tx.actor))


@router.get("/statements", response_model=Page[StatementRead], responses=problem_responses(401, 403, 422))
async def list_statements(tx: TxDep, _principal: Worker, page: PageParams, status: StatementStatus | None = None,
                          customer_id: str | None = None) -> Page[StatementRead]:
    """Dunning statements, newest first; `status=failed` lists those not sent, with `failure_reason`
    (no_dunning_contact, smtp_refused, smtp_unreachable, template_missing) and `failure_detail`."""
    return await service.list_statements(tx, page=page, team=visible_team(tx.actor), status=status,
                                         customer_id=customer_id)
