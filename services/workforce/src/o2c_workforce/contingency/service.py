"""Contingency plans per process (trigger, owner, steps), invoked by an escalation case, an SLA breach or a
person. One source invokes a plan once: a replayed event changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

from o2c_common.entities import load
from o2c_common.errors import NotFound
from o2c_common.events.contracts.workforce import ContingencyPlanChanged, ContingencyPlanInvoked
from o2c_common.tx import Tx
from o2c_workforce.contingency import repository
from o2c_workforce.contingency.models import ContingencyPlan, Invocation, Trigger
from o2c_workforce.contingency.schemas import PlanCreate, PlanRead


async def create(tx: Tx, data: PlanCreate) -> ContingencyPlan:
    plan = await repository.add(tx.session, ContingencyPlan(id=uuid.uuid4(), active=True, **data.model_dump()))
    await tx.audit("contingency_plan.created", entity_type="contingency_plan", entity_id=plan.id,
                   after=PlanRead.model_validate(plan))
    await tx.emit(ContingencyPlanChanged(plan_id=plan.id, name=plan.name, process=plan.process, owner=plan.owner,
                                         trigger=plan.trigger.value, match=plan.match, steps=tuple(plan.steps),
                                         active=plan.active, change="created", changed_at=tx.now()))
    return plan


async def list_plans(tx: Tx) -> list[ContingencyPlan]:
    return await repository.plans(tx.session)


async def invoke_manually(tx: Tx, plan_id: uuid.UUID, *, reason: str) -> Invocation:
    plan = await _plan(tx, plan_id)
    key = f"manual:{uuid.uuid4()}"
    await _invoke(tx, plan, trigger=Trigger.MANUAL, source_key=key, reason=reason)
    return next(i for i in await repository.invocations(tx.session, plan.id) if i.source_key == key)


async def invoke_matching(tx: Tx, *, trigger: Trigger, value: str, source_key: str, reason: str) -> int:
    """Invoke every active plan whose trigger matches ``value`` (a case category, a KPI metric)."""
    invoked = 0
    for plan in await repository.matching(tx.session, trigger=trigger, value=value):
        invoked += await _invoke(tx, plan, trigger=trigger, source_key=source_key, reason=reason)
    return invoked


async def invocations(tx: Tx, plan_id: uuid.UUID) -> list[Invocation]:
    plan = await _plan(tx, plan_id)
    return await repository.invocations(tx.session, plan.id)


async def _invoke(tx: Tx, plan: ContingencyPlan, *, trigger: Trigger, source_key: str, reason: str) -> int:
    invocation_id = await repository.invoke(tx.session, {
        "id": uuid.uuid4(), "plan_id": plan.id, "trigger": trigger, "source_key": source_key, "reason": reason,
        "invoked_by": tx.actor.subject, "invoked_at": tx.now()})
    if invocation_id is None:
        return 0
    await tx.audit("contingency_plan.invoked", entity_type="contingency_plan", entity_id=plan.id, reason=reason,
                   after={"invocation_id": invocation_id, "source_key": source_key})
    await tx.emit(ContingencyPlanInvoked(plan_id=plan.id, invocation_id=invocation_id, process=plan.process,
                                         owner=plan.owner, trigger=trigger.value, source_key=source_key,
                                         steps=tuple(plan.steps), invoked_at=tx.now()))
    return 1


async def _plan(tx: Tx, plan_id: uuid.UUID) -> ContingencyPlan:
    plan = await load(tx.session, ContingencyPlan, plan_id)
    if plan is None:
        raise NotFound(f"contingency plan {plan_id} does not exist")
    return plan




async def invoked_between(tx: Tx, *, since: datetime, until: datetime) -> list[tuple[ContingencyPlan, Invocation]]:
    return await repository.invoked_between(tx.session, since=since, until=until)
