from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from o2c_collections.worklists import service
from o2c_collections.worklists.schemas import Bucket, WorklistRow
from o2c_common.auth import Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.events.types import NonNegativeAmount
from o2c_common.http import Page, PageParams
from o2c_common.uow import SessionDep

router = APIRouter(prefix="/worklists", tags=["worklists"])
Worker = Annotated[Principal, Depends(require_roles("ar_supervisor", "collector", "vendor_agent"))]
Code = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("", response_model=Page[WorklistRow], responses=problem_responses(401, 403, 422))
async def get_worklist(session: SessionDep, principal: Worker, page: PageParams, as_of: date | None = None,
                       team: Code = None, collector: Code = None, entity: Code = None,
                       currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
                       min_overdue: NonNegativeAmount | None = None, bucket: Bucket | None = None) -> Page[WorklistRow]:
    """Accounts with overdue amounts ranked by overdue amount x days past due x risk, highest first. Filter by a
    collector's or a team's accounts; vendor agents see their team's only."""
    return await service.worklist(session, principal=principal, page=page, as_of=as_of or datetime.now(UTC).date(),
                                  team=team, collector=collector, entity=entity, currency=currency,
                                  min_overdue=min_overdue, bucket=bucket)
