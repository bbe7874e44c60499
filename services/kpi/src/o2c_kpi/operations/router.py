"""The operations data of the reviews as JSON (``GET /reviews/operations``), for the review pages and API users.
Read like the reports (any KPI reader; vendor agents: their own team's only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.http.dates import BoundedDate, recent_window
from o2c_common.uow import TxDep
from o2c_kpi.clock import ClockDep
from o2c_kpi.operations import service
from o2c_kpi.operations.schemas import OperationsRead
from o2c_kpi.permissions import Reader, team_in_view

router = APIRouter(prefix="/reviews", tags=["reviews"])
MAX_DAYS = 366


@router.get("/operations", response_model=OperationsRead, responses=problem_responses(401, 403, 422))
async def operations(tx: TxDep, principal: Reader, clock: ClockDep,
                     start: Annotated[BoundedDate | None, Query(description=(
                         "First day of the period (default: 29 days before end)."))] = None,
                     end: Annotated[BoundedDate | None, Query(description=(
                         "Last day of the period, included (default: today, UTC)."))] = None,
                     team: Annotated[str | None, Query(max_length=64, description="One team's figures.")] = None,
                     previous_start: Annotated[BoundedDate | None, Query(description=(
                         "First day of the period compared with (default: as long as the period, just before)."
                     ))] = None,
                     previous_end: Annotated[BoundedDate | None, Query(description=(
                         "Last day of the period compared with (default: the day before start)."))] = None,
                     ) -> OperationsRead:
    """Quality per vendor and team (average score, items reviewed, defects by category), Pareto data of portal
    rejection reasons and dispute root causes, open corrective actions and escalations per team, for the period
    and the previous one; and the latest capacity outlook of each queue. A section is null when not available.
    Without start and end: the last 30 days."""
    start, end = recent_window(start, end, today=clock().date())
    team = team_in_view(principal, team, what="operations")
    length = (end - start).days + 1
    previous_end = previous_end or start - timedelta(days=1)
    previous_start = previous_start or previous_end - timedelta(days=length - 1)
    errors = [{"location": "query", "parameter": name, "detail": detail} for name, bad, detail in (
        ("end", end < start or length > MAX_DAYS, f"start..end spans 1 to {MAX_DAYS} days"),
        ("previous_end", previous_end < previous_start or (previous_end - previous_start).days >= MAX_DAYS,
         f"previous_start..previous_end spans 1 to {MAX_DAYS} days"))
        if bad]
    if errors:
        raise ValidationFailed("; ".join(e["detail"] for e in errors), errors=errors)
    return await service.review_operations(tx, start=start, end=end, previous_start=previous_start,
                                           previous_end=previous_end, team=team)
