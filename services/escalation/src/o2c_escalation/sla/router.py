from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from o2c_common.auth import CurrentPrincipal, Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.events.types import Severity
from o2c_common.uow import SessionDep
from o2c_escalation.sla import service
from o2c_escalation.sla.schemas import SlaPolicyRead, SlaPolicyWrite

router = APIRouter(prefix="/sla-policies", tags=["sla"])
Manager = Annotated[Principal, Depends(require_roles("ar_supervisor", "service_delivery_lead"))]


@router.get("", response_model=list[SlaPolicyRead], responses=problem_responses(401))
async def list_policies(session: SessionDep, principal: CurrentPrincipal) -> list[SlaPolicyRead]:
    """Acknowledge and resolve targets per severity, in business minutes of the owning team's calendar."""
    return [SlaPolicyRead.model_validate(p) for p in await service.list_policies(session)]


@router.put("/{severity}", response_model=SlaPolicyRead, responses=problem_responses(401, 403, 404, 422))
async def put_policy(severity: Severity, data: SlaPolicyWrite, session: SessionDep,
                     principal: Manager) -> SlaPolicyRead:
    """Change a severity's targets; they apply to cases opened afterwards."""
    return SlaPolicyRead.model_validate(await service.put_policy(session, severity=severity, data=data,
                                                                 actor=principal))
