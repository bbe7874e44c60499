from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from o2c_collections.permissions import Worker
from o2c_collections.worklists import service
from o2c_collections.worklists.schemas import Bucket, WorklistRow
from o2c_common.errors import problem_responses
from o2c_common.events.types import NonNegativeAmount
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/worklists", tags=["worklists"])
Code = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("", response_model=Page[WorklistRow], responses=problem_responses(401, 403, 422))
async def get_worklist(tx: TxDep, _principal: Worker, page: PageParams, as_of: date | None = None,
                       team: Code = None, collector: Code = None, entity: Code = None,
                       currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
                       min_overdue: NonNegativeAmount | None = None, bucket: Bucket | None = None) -> Page[WorklistRow]:
    """Accounts with overdue amounts ranked by overdue amount x days past due x risk, highest first. Filter by a
    collector's or a team's accounts; vendor agents see their team's only."""
    return await service.worklist(tx, page=page, as_of=as_of or tx.now().date(),
                                  team=team, collector=collector, entity=entity, currency=currency,
                                  min_overdue=min_overdue, bucket=bucket)
