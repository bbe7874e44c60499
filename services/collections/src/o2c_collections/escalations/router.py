from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from o2c_collections.deps import RuleId
from o2c_collections.escalations import service
from o2c_collections.escalations.models import BreachStatus
from o2c_collections.escalations.schemas import BreachRead, RuleRead, RuleWrite, RunResult
from o2c_collections.permissions import InternalReader, Supervisor
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/overdue-escalation", tags=["overdue escalation"])


@router.get("/rules", response_model=list[RuleRead], responses=problem_responses(401, 403))
async def list_rules(tx: TxDep, _principal: InternalReader) -> list[RuleRead]:
    return await service.list_rules(tx)


@router.put("/rules/{rule_id}", response_model=RuleRead, responses=problem_responses(401, 403, 422))
async def put_rule(rule_id: RuleId, data: RuleWrite, tx: TxDep, _principal: Supervisor) -> RuleRead:
    """Create or replace a rule: days past due, overdue amount, broken promises (all given must hold)."""
    return await service.put_rule(tx, rule_id=rule_id, data=data)


@router.post("/runs", response_model=RunResult, responses=problem_responses(401, 403, 422))
async def run_rules(tx: TxDep, _principal: Supervisor, as_of: date | None = None) -> RunResult:
    """Evaluate the rules now (also in the background): balance.overdue_escalated once per breach."""
    return await service.run(tx, as_of=as_of or tx.now().date())


@router.get("/breaches", response_model=Page[BreachRead], responses=problem_responses(401, 403, 422))
async def list_breaches(tx: TxDep, _principal: InternalReader, page: PageParams,
                        status: BreachStatus | None = None,
                        customer_id: str | None = None) -> Page[BreachRead]:
    return await service.list_breaches(tx, page=page, status=status, customer_id=customer_id)
