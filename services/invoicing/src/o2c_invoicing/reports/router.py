from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_invoicing.deps import Owner, Team
from o2c_invoicing.permissions import ReportReader, scoped_team
from o2c_invoicing.reports import service
from o2c_invoicing.reports.schemas import CadenceReport

router = APIRouter(prefix="/reports", tags=["reports"])

Week = Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$", examples=["2026-W47"],
                                   description="ISO week; the current one when empty.")]


@router.get("/invoicing-cadence", response_model=CadenceReport,
            responses=problem_responses(401, 403, 422) | {200: {"content": {"text/csv": {}}}})
async def invoicing_cadence(tx: TxDep, principal: ReportReader, week: Week = None, owner: Owner = None,
                            team: Team = None, format: Literal["json", "csv"] | None = None,
                            accept: Annotated[str | None, Header()] = None) -> Response | CadenceReport:
    """The week's invoices by account, owner, channel, status and age bucket: counts and gross amounts per
    currency (decimal strings), with totals by status. CSV with `format=csv` or `Accept: text/csv`. Vendor
    agents get their team's invoices only."""
    report = await service.cadence(tx, week=week, team=scoped_team(principal, team), owner=owner)
    if format == "csv" or (format is None and accept is not None and "text/csv" in accept):
        return Response(service.as_csv(report), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="invoicing-cadence-{report.week}.csv"'})
    return report
