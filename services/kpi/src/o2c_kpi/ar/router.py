from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_kpi.ar import service
from o2c_kpi.ar.schemas import OpenArRead

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get("/open-ar", response_model=OpenArRead, responses=problem_responses(401, 422))
async def open_ar(tx: TxDep, as_of: date | None = None) -> OpenArRead:
    """Total open AR per currency at the end of `as_of` (default today), built from events only."""
    return await service.open_ar(tx, as_of=as_of or datetime.now(UTC).date())
