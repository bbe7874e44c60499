"""The reconciliation's HTTP edge: run now, the latest run, the drifts (kpi's own AR per invoice, the third
figure, is `GET /ar/open-amounts` in ``o2c_kpi.ar``). Running needs an AR supervisor or an integration (a CI job,
`o2c reconcile --run`); reading needs any authenticated caller (vendor agents: their team's drifts)."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request

from o2c_common.errors import NotFound, problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep
from o2c_kpi.clock import ClockDep
from o2c_kpi.config import KpiSettings
from o2c_kpi.permissions import Reader, Reconciler, ReconciliationReader, team_in_view
from o2c_kpi.reconciliation import repository, service
from o2c_kpi.reconciliation.client import RemoteSources
from o2c_kpi.reconciliation.metrics import gauges_of
from o2c_kpi.reconciliation.schemas import DriftRead, RunRead

router = APIRouter(prefix="/reconciliation", tags=["reconciliation"])


def remote_sources(request: Request) -> RemoteSources:
    """The sources of the app (tests put an in-process transport on ``app.state.recon_transport``)."""
    settings: KpiSettings = request.app.state.settings
    transport: httpx.AsyncBaseTransport | None = getattr(request.app.state, "recon_transport", None)
    return RemoteSources(settings=settings, transport=transport)


@router.post("/runs", response_model=RunRead, responses=problem_responses(401, 403, 502))
async def run_now(request: Request, tx: TxDep, principal: Reconciler, clock: ClockDep) -> RunRead:
    """Compare every invoice now (invoicing's settlement, collections' ledger, kpi's AR) and return the summary;
    the drifts are at `GET /reconciliation/drifts`. 502 when invoicing or collections cannot be read."""
    run = await service.run(tx, remote=remote_sources(request), settings=request.app.state.settings, now=clock())
    gauges_of(request.app).publish(run)
    return RunRead.model_validate(run)


@router.get("/runs/latest", response_model=RunRead, responses=problem_responses(401, 404))
async def latest_run(request: Request, tx: TxDep, principal: ReconciliationReader) -> RunRead:
    """The latest run (every 5 minutes by default; `POST /reconciliation/runs` runs one now)."""
    run = await service.latest(tx)
    if run is None:
        raise NotFound("no reconciliation has run yet", type="no-reconciliation-run", title="No run yet")
    return RunRead.model_validate(run)


@router.get("/drifts", response_model=Page[DriftRead], responses=problem_responses(401, 403, 422))
async def drifts(tx: TxDep, principal: Reader, page: PageParams,
                 currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
                 team: Annotated[str | None, Query(max_length=64)] = None) -> Page[DriftRead]:
    """Invoices the services disagree about now, ascending by invoice id (vendor agents: their team's)."""
    team = team_in_view(principal, team, what="drifts")
    return await repository.drift_page(tx.session, page=page, currency=currency, team=team, item=DriftRead.of)
