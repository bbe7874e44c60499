from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from o2c_common.auth import CurrentPrincipal, Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep
from o2c_common.uow import SessionDep
from o2c_escalation.routing import service
from o2c_escalation.routing.schemas import RoutingRuleCreate, RoutingRuleRead

router = APIRouter(prefix="/routing-rules", tags=["routing"])
Manager = Annotated[Principal, Depends(require_roles("ar_supervisor", "service_delivery_lead"))]


@router.get("", response_model=list[RoutingRuleRead], responses=problem_responses(401))
async def list_rules(session: SessionDep, principal: CurrentPrincipal) -> list[RoutingRuleRead]:
    """Routing rules in evaluation order (ascending priority): the first match picks the L1 team."""
    return [RoutingRuleRead.model_validate(r) for r in await service.list_all(session)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RoutingRuleRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_rule(data: RoutingRuleCreate, session: SessionDep, principal: Manager,
                      idem: IdempotencyDep) -> Response:
    rule = await service.create(session, data=data, actor=principal)
    return await idem.respond(session, status_code=201, content=RoutingRuleRead.model_validate(rule),
                              headers={"Location": f"/routing-rules/{rule.id}"})


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404, 422))
async def delete_rule(rule_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    await service.delete(session, rule_id=rule_id, actor=principal)
    return Response(status_code=204)
