from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.http.dates import BoundedDate, recent_window
from o2c_common.http.downloads import attachment
from o2c_common.uow import TxDep
from o2c_kpi.clock import ClockDep
from o2c_kpi.permissions import Reader
from o2c_kpi.reports import service, snapshots
from o2c_kpi.reports.page import report_html
from o2c_kpi.reports.pdf import report_pdf
from o2c_kpi.reports.render import report_csv, snapshots_csv
from o2c_kpi.reports.schemas import Detail, ReportFormat, ReportKind, ReportRead, SnapshotValueRead

router = APIRouter(prefix="/reports", tags=["reports"])
MAX_SNAPSHOT_DAYS = 366
_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}, "application/pdf": {}}}}


@router.get("/daily-snapshots", response_model=list[SnapshotValueRead],
            responses={**problem_responses(401, 403, 422), **_FORMATS})
async def daily_snapshots(tx: TxDep, _principal: Reader, clock: ClockDep,
                          since: Annotated[BoundedDate | None, Query(description=(
                              "First day (default: 29 days before until)."))] = None,
                          until: Annotated[BoundedDate | None, Query(description=(
                              "Last day, included (default: today, UTC)."))] = None,
                          team: Annotated[str | None, Query(max_length=64)] = None,
                          names: Annotated[str | None, Query(description="Comma-separated KPI names.")] = None,
                          format: ReportFormat = ReportFormat.JSON) -> Response:
    """Each day's headline KPIs as the daily snapshot stored them (global and per team); JSON or CSV. Without
    since and until: the last 30 days."""
    since, until = recent_window(since, until, today=clock().date())
    if until < since or (until - since).days >= MAX_SNAPSHOT_DAYS or format in (ReportFormat.HTML, ReportFormat.PDF):
        detail = f"since..until spans 1 to {MAX_SNAPSHOT_DAYS} days; format json or csv"
        raise ValidationFailed(detail, errors=[{"location": "query", "parameter": "until", "detail": detail}])
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()] or None
    values = await snapshots.list_values(tx, since=since, until=until, team=team, names=wanted)
    if format == ReportFormat.CSV:
        return Response(snapshots_csv(values), media_type="text/csv; charset=utf-8")
    return JSONResponse([v.model_dump(mode="json") for v in values])


def _format(asked: ReportFormat | None, accept: str | None) -> ReportFormat:
    """``format`` when given; else from Accept: application/pdf, text/html (a browser), text/csv, else JSON."""
    if asked is not None:
        return asked
    for media, chosen in (("application/pdf", ReportFormat.PDF), ("text/html", ReportFormat.HTML),
                          ("text/csv", ReportFormat.CSV)):
        if media in (accept or ""):
            return chosen
    return ReportFormat.JSON


@router.get("/{kind}", response_model=ReportRead, responses={**problem_responses(401, 403, 422), **_FORMATS})
async def report(kind: Annotated[ReportKind, Path(description="daily-huddle, weekly-cadence, "
                                                  "monthly-business-review or qbr")],
                 tx: TxDep, _principal: Reader, clock: ClockDep,
                 on: Annotated[BoundedDate | None, Query(alias="date", description=(
                     "A day in the period (default: yesterday)."))] = None,
                 team: Annotated[str | None, Query(max_length=64, description="Scope the KPIs to one team.")] = None,
                 detail: Annotated[Detail, Query(description=(
                     "currency: every currency's and breakdown's values too."))] = Detail.HEADLINE,
                 currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description=(
                     "A reporting currency (EUR…): money KPIs consolidated in it at the FX rates held."))] = None,
                 format: Annotated[ReportFormat | None, Query(description=(
                     "json, csv, html or pdf; default from the Accept header, else json."))] = None,
                 accept: Annotated[str | None, Header(include_in_schema=False)] = None) -> Response:
    """A review a lead presents — the daily huddle, the weekly invoicing cadence, the monthly business review or
    the QBR: headline KPIs against target and the previous period, trends, SLA attainment per vendor team, Pareto
    charts, breaches, open escalations and a generated narrative; the huddle adds today's due work. As JSON, CSV,
    an HTML page with inline SVG charts, or PDF."""
    built = await service.build(tx, kind=kind, on=on or clock().date() - timedelta(days=1), team=team, clock=clock,
                                detail=detail, currency=currency)
    filename = f"{kind}-{built.period_label}{'-' + built.team if built.team else ''}"
    chosen = _format(format, accept)
    if chosen == ReportFormat.CSV:
        return Response(report_csv(built), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": attachment(f"{filename}.csv")})
    if chosen == ReportFormat.HTML:
        return HTMLResponse(report_html(built))
    if chosen == ReportFormat.PDF:
        return Response(report_pdf(built), media_type="application/pdf",
                        headers={"Content-Disposition": attachment(f"{filename}.pdf")})
    return JSONResponse(built.model_dump(mode="json"))
