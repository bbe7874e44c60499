from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from o2c_collections.deps import RuleId, SettingsDep
from o2c_collections.dunning import service
from o2c_collections.dunning.schemas import PolicyRead, PolicyWrite, RunResult
from o2c_collections.permissions import Supervisor
from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep

router = APIRouter(prefix="/dunning", tags=["dunning"])


@router.get("/policies", response_model=list[PolicyRead], responses=problem_responses(401))
async def list_policies(tx: TxDep) -> list[PolicyRead]:
    return await service.list_policies(tx)


@router.put("/policies/{policy_id}", response_model=PolicyRead, responses=problem_responses(401, 403, 422))
async def put_policy(policy_id: RuleId, data: PolicyWrite, tx: TxDep, _principal: Supervisor) -> PolicyRead:
    """Create or replace a segment's policy: levels with days past due, channel, template, minimum amount."""
    return await service.put_policy(tx, policy_id=policy_id, data=data)


@router.post("/runs", response_model=RunResult, responses=problem_responses(401, 403, 422))
async def run_dunning(tx: TxDep, _principal: Supervisor, settings: SettingsDep, as_of: date | None = None) -> RunResult:
    """Run dunning now (it also runs daily in the background); idempotent per invoice and level."""
    return await service.run(tx, as_of=as_of or tx.now().date(), settings=settings)
