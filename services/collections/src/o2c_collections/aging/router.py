from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from o2c_collections.aging import service
from o2c_collections.aging.schemas import AgingPage
from o2c_collections.permissions import ArReader
from o2c_common.auth import visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/aging", tags=["aging"])


@router.get("", response_model=AgingPage, responses=problem_responses(401, 403, 422))
async def aging(tx: TxDep, _principal: ArReader, page: PageParams, as_of: date | None = None,
                by: Literal["customer", "entity", "currency", "team"] = "customer",
                buckets: Annotated[str, Query(pattern=r"^\d{1,4}(,\d{1,4}){0,9}$")] = "30,60,90,120") -> AgingPage:
    """Open AR as of a date (default: today, UTC) in days-past-due buckets (default current, 1-30, 31-60, 61-90,
    91-120, >120): cursor pages of rows by key and currency (`limit`, `cursor`); the first page also has `totals`
    per currency."""
    bounds = tuple(int(b) for b in buckets.split(","))
    return await service.aging(tx, as_of=as_of or tx.now().date(), by=by, page=page, bounds=bounds,
                               team=visible_team(tx.actor))
