from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_kpi.ar import service
from o2c_kpi.ar.schemas import InvoiceOpenAmountPage, OpenArRead
from o2c_kpi.permissions import Reader, Reconciler, team_in_view

router = APIRouter(tags=["kpis"])


@router.get("/kpis/open-ar", response_model=OpenArRead, responses=problem_responses(401, 403, 422))
async def open_ar(tx: TxDep, principal: Reader, as_of: date | None = None,
                  team: Annotated[str | None, Query(max_length=64)] = None) -> OpenArRead:
    """Total open AR per currency at the end of `as_of` (default today), built from events only; of one owning
    `team` if given (vendor agents: always their own team's)."""
    team = team_in_view(principal, team, what="open AR")
    return await service.open_ar(tx, as_of=as_of or datetime.now(UTC).date(), team=team)


@router.get("/ar/open-amounts", response_model=InvoiceOpenAmountPage, responses=problem_responses(401, 403, 422))
async def open_amounts(tx: TxDep, _principal: Reconciler, after: uuid.UUID | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> InvoiceOpenAmountPage:
    """Every invoice's receivable as kpi copied it from the ledger, ascending by invoice id (keyset: pass the last
    page's `next_after` as `after`): open amount as a decimal string, movements and the last ledger sequence.
    Integration or AR supervisor (the reconciliation)."""
    return await service.open_amounts(tx, after=after, limit=limit)
