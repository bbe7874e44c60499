from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from o2c_common.auth import Principal
from o2c_common.errors import Forbidden, problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.permissions import QueueWorker
from o2c_invoicing.workqueues import service
from o2c_invoicing.workqueues.schemas import QueueSummary, WorkItem, WorkQueue

router = APIRouter(prefix="/work-queues", tags=["work queues"])

Owner = Annotated[str | None, Query(min_length=1, max_length=200, description="The invoice's preparer.")]
Team = Annotated[str | None, Query(min_length=1, max_length=64, description="The owning team.")]


def scoped_team(principal: Principal, team: str | None) -> str | None:
    """Vendor agents are confined to their team (asking for another is a 403); others may filter by any."""
    if principal.sees_all_teams:
        return team
    if principal.team is None or (team is not None and team != principal.team):
        raise Forbidden("vendor agents see only their own team's queues", type="team-access-denied",
                        title="Team access denied")
    return principal.team


@router.get("", response_model=QueueSummary, responses=problem_responses(401, 403, 422))
async def queue_counts(tx: TxDep, principal: QueueWorker, settings: SettingsDep, owner: Owner = None,
                       team: Team = None) -> QueueSummary:
    """How many invoices wait in each queue, for an owner and/or a team."""
    return await service.summary(tx, settings=settings, owner=owner, team=scoped_team(principal, team))


@router.get("/{queue}", response_model=Page[WorkItem], responses=problem_responses(401, 403, 422))
async def queue_items(queue: WorkQueue, tx: TxDep, principal: QueueWorker, settings: SettingsDep,
                      page: PageParams, owner: Owner = None, team: Team = None) -> Page[WorkItem]:
    """The invoices of one queue, oldest first (due date first for `due_soon_without_portal_approval`)."""
    return await service.queue_page(tx, queue=queue, page=page, settings=settings, owner=owner,
                                    team=scoped_team(principal, team))
