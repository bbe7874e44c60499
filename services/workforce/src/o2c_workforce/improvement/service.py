"""Performance improvement plans: goals and dates, periodic reviews, and an outcome (succeeded, extended, exited)."""

from __future__ import annotations

import uuid

from o2c_common.entities import load_visible
from o2c_common.errors import Conflict
from o2c_common.events.contracts.workforce import ImprovementPlanChanged
from o2c_common.tx import Tx
from o2c_workforce.improvement import repository
from o2c_workforce.improvement.models import ImprovementPlan, PlanReview, PlanStatus
from o2c_workforce.improvement.schemas import PlanClose, PlanCreate, PlanRead, PlanReviewCreate, PlanReviewRead
from o2c_workforce.org.service import get_agent, invalid, scoped_team


async def open_plan(tx: Tx, data: PlanCreate) -> PlanRead:
    agent = await get_agent(tx, data.agent_id)
    if await repository.open_plan(tx.session, agent.id) is not None:
        raise Conflict(f"{agent.name} is on an open improvement plan already")
    plan = await repository.add(tx.session, ImprovementPlan(
        id=uuid.uuid4(), agent_id=agent.id, owning_team=agent.owning_team, goals=data.goals,
        starts_on=data.starts_on, ends_on=data.ends_on, status=PlanStatus.OPEN, created_by=tx.actor.subject))
    read = _read(plan, [])
    await tx.audit("improvement_plan.opened", entity_type="improvement_plan", entity_id=plan.id, after=read)
    await _emit(tx, plan, "created")
    return read


async def review(tx: Tx, plan_id: uuid.UUID, data: PlanReviewCreate) -> PlanRead:
    plan = await _open(tx, plan_id)
    if not plan.starts_on <= data.review_date:
        raise invalid("/review_date", f"the plan starts on {plan.starts_on}")
    row = await repository.add(tx.session, PlanReview(id=uuid.uuid4(), plan_id=plan.id, reviewer=tx.actor.subject,
                                                      reviewed_at=tx.now(), **data.model_dump()))
    await tx.audit("improvement_plan.reviewed", entity_type="improvement_plan", entity_id=plan.id,
                   after=PlanReviewRead.model_validate(row))
    await _emit(tx, plan, "reviewed")
    return _read(plan, await repository.reviews_of(tx.session, [plan.id]))


async def close(tx: Tx, plan_id: uuid.UUID, data: PlanClose) -> PlanRead:
    plan = await _open(tx, plan_id)
    before = _read(plan, [])
    plan.status, plan.outcome, plan.outcome_note, plan.closed_at = PlanStatus.CLOSED, data.outcome, data.note, tx.now()
    await tx.session.flush()
    read = _read(plan, await repository.reviews_of(tx.session, [plan.id]))
    await tx.audit("improvement_plan.closed", entity_type="improvement_plan", entity_id=plan.id, before=before,
                   after=read)
    await _emit(tx, plan, "closed")
    return read


async def list_plans(tx: Tx, *, team: str | None, agent_id: uuid.UUID | None) -> list[PlanRead]:
    plans = await repository.plans(tx.session, team=scoped_team(tx, team), agent_id=agent_id)
    reviews = await repository.reviews_of(tx.session, [p.id for p in plans])
    return [_read(p, [r for r in reviews if r.plan_id == p.id]) for p in plans]


async def _open(tx: Tx, plan_id: uuid.UUID) -> ImprovementPlan:
    plan = await load_visible(tx, ImprovementPlan, plan_id, for_update=True, label="improvement plan")
    if plan.status != PlanStatus.OPEN:
        raise Conflict(f"the plan was closed ({plan.outcome}) on {plan.closed_at:%Y-%m-%d}")
    return plan


def _read(plan: ImprovementPlan, reviews: list[PlanReview]) -> PlanRead:
    return PlanRead.model_validate(plan).model_copy(update={
        "reviews": [PlanReviewRead.model_validate(r) for r in reviews]})


async def _emit(tx: Tx, plan: ImprovementPlan, change: str) -> None:
    await tx.emit(ImprovementPlanChanged(plan_id=plan.id, agent_id=plan.agent_id, team=plan.owning_team,
                                         change=change, outcome=plan.outcome, changed_at=tx.now()))
