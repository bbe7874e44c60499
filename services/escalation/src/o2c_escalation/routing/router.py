from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep
from o2c_common.uow import TxDep
from o2c_escalation.permissions import DeskReader, Manager
from o2c_escalation.routing import service
from o2c_escalation.routing.schemas import RoutingRuleCreate, RoutingRuleRead

router = APIRouter(prefix="/routing-rules", tags=["routing"])


@router.get("", response_model=list[RoutingRuleRead], responses=problem_responses(401))
async def list_rules(tx: TxDep, _principal: DeskReader) -> list[RoutingRuleRead]:
    """Routing rules in evaluation order (ascending priority): the first match picks the L1 team."""
    return [RoutingRuleRead.model_validate(r) for r in await service.list_all(tx)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RoutingRuleRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_rule(data: RoutingRuleCreate, tx: TxDep, principal: Manager, idem: IdempotencyDep) -> Response:
    rule = await service.create(tx, data=data)
    return await idem.respond(tx.session, status_code=201, content=RoutingRuleRead.model_validate(rule),
                              headers={"Location": f"/routing-rules/{rule.id}"})


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404, 422))
async def delete_rule(rule_id: uuid.UUID, tx: TxDep, principal: Manager) -> Response:
    await service.delete(tx, rule_id=rule_id)
    return Response(status_code=204)
