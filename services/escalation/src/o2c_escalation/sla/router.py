from __future__ import annotations

from fastapi import APIRouter

from o2c_common.errors import problem_responses
from o2c_common.events.types import Severity
from o2c_common.uow import TxDep
from o2c_escalation.permissions import DeskReader, Manager
from o2c_escalation.sla import service
from o2c_escalation.sla.schemas import SlaPolicyRead, SlaPolicyWrite

router = APIRouter(prefix="/sla-policies", tags=["sla"])


@router.get("", response_model=list[SlaPolicyRead], responses=problem_responses(401))
async def list_policies(tx: TxDep, _principal: DeskReader) -> list[SlaPolicyRead]:
    """Acknowledge and resolve targets per severity, in business minutes of the owning team's calendar."""
    return [SlaPolicyRead.model_validate(p) for p in await service.list_policies(tx)]


@router.put("/{severity}", response_model=SlaPolicyRead, responses=problem_responses(401, 403, 404, 422))
async def put_policy(severity: Severity, data: SlaPolicyWrite, tx: TxDep, principal: Manager) -> SlaPolicyRead:
    """Change a severity's targets; they apply to cases opened afterwards."""
    return SlaPolicyRead.model_validate(await service.put_policy(tx, severity=severity, data=data))
