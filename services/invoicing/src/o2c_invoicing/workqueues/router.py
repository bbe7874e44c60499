from __future__ import annotations

from fastapi import APIRouter

from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep
from o2c_invoicing.deps import Owner, SettingsDep, Team
from o2c_invoicing.permissions import QueueWorker, scoped_team
from o2c_invoicing.workqueues import service
from o2c_invoicing.workqueues.schemas import QueueSummary, WorkItem, WorkQueue

router = APIRouter(prefix="/work-queues", tags=["work queues"])

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
