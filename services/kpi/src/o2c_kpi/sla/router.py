from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.events.types import Severity
from o2c_common.http import IdempotencyDep, IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep
from o2c_kpi.clock import ClockDep
from o2c_kpi.permissions import Reader, SlaWriter
from o2c_kpi.sla import service
from o2c_kpi.sla.calendar import parse_period
from o2c_kpi.sla.metrics import MetricName
from o2c_kpi.sla.models import BreachStatus
from o2c_kpi.sla.schemas import (
    SlaAttainmentRead,
    SlaBreachRead,
    SlaDefinitionCreate,
    SlaDefinitionRead,
    SlaDefinitionWrite,
    SlaMetricRead,
)

router = APIRouter(tags=["sla"])
DefinitionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


@router.get("/sla-metrics", response_model=list[SlaMetricRead], responses=problem_responses(401))
async def list_metrics(_principal: Reader) -> list[SlaMetricRead]:
    """What an SLA definition can measure: rate metrics (percent per calendar window) and timer metrics."""
    return service.metrics()


@router.post("/sla-definitions", status_code=status.HTTP_201_CREATED, response_model=SlaDefinitionRead,
             responses=problem_responses(401, 403, 409, 422))
async def create_definition(data: SlaDefinitionCreate, tx: TxDep, principal: SlaWriter, clock: ClockDep,
                            idem: IdempotencyDep) -> Response:
    """Define an SLA (ar_supervisor, admin). Evaluation starts with the next event of its metric."""
    definition = await service.create_definition(tx, data=data, clock=clock)
    return await idem.respond(tx.session, status_code=201, content=SlaDefinitionRead.model_validate(definition),
                              headers={"Location": f"/sla-definitions/{definition.id}",
                                       "ETag": version_etag(definition)})


@router.get("/sla-definitions", response_model=Page[SlaDefinitionRead], responses=problem_responses(401, 403, 422))
async def list_definitions(tx: TxDep, _principal: Reader, page: PageParams, metric: MetricName | None = None,
                           active: bool | None = None) -> Page[SlaDefinitionRead]:
    """SLA definitions by id; vendor agents see the global ones and their team's."""
    return await service.list_definitions(tx, page=page, metric=metric, active=active)


@router.get("/sla-definitions/{definition_id}", response_model=SlaDefinitionRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_definition(definition_id: DefinitionId, response: Response, tx: TxDep,
                         _principal: Reader) -> SlaDefinitionRead:
    definition = await service.get_definition(tx, definition_id=definition_id)
    set_etag(response, etag=version_etag(definition))
    return SlaDefinitionRead.model_validate(definition)


@router.put("/sla-definitions/{definition_id}", response_model=SlaDefinitionRead,
            responses=problem_responses(401, 403, 404, 412, 422, 428))
async def update_definition(definition_id: DefinitionId, data: SlaDefinitionWrite, response: Response,
                            tx: TxDep, principal: SlaWriter, if_match: IfMatchDep,
                            clock: ClockDep) -> SlaDefinitionRead:
    """Replace a definition (ar_supervisor, admin). Needs `If-Match` with its current ETag."""
    definition = await service.lock(tx, definition_id)
    if_match(version_etag(definition))
    definition = await service.update_definition(tx, definition, data=data, clock=clock)
    set_etag(response, etag=version_etag(definition))
    return SlaDefinitionRead.model_validate(definition)


@router.delete("/sla-definitions/{definition_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(401, 403, 404, 412, 422, 428))
async def delete_definition(definition_id: DefinitionId, tx: TxDep, principal: SlaWriter,
                            if_match: IfMatchDep, clock: ClockDep) -> Response:
    """Delete a definition (its armed timers are cancelled; breaches stay). Needs `If-Match`."""
    definition = await service.lock(tx, definition_id)
    if_match(version_etag(definition))
    await service.delete_definition(tx, definition, clock=clock)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sla/breaches", response_model=Page[SlaBreachRead], responses=problem_responses(401, 403, 422))
async def list_breaches(tx: TxDep, _principal: Reader, page: PageParams,
                        definition_id: str | None = None, metric: MetricName | None = None,
                        team: str | None = None, status: BreachStatus | None = None,
                        severity: Severity | None = None,
                        since: Annotated[date | None, Query(description="Breached on or after this day.")] = None,
                        until: Annotated[date | None, Query(description="Breached before this day.")] = None,
                        ) -> Page[SlaBreachRead]:
    """SLA breaches, newest first; vendor agents see their own team's."""
    return await service.list_breaches(tx, page=page, definition_id=definition_id, metric=metric, team=team,
                                       status=status, severity=severity, since=since, until=until)


@router.get("/sla/attainment", response_model=SlaAttainmentRead, responses=problem_responses(401, 403, 422))
async def attainment(tx: TxDep, _principal: Reader, clock: ClockDep,
                     team: Annotated[str, Query(min_length=1, max_length=64)],
                     period: Annotated[str | None, Query(min_length=4, max_length=32, description=(
                         "2026, 2026-Q4, 2026-11, 2026-W47, 2026-11-22 or 2026-11-01..2026-11-15 "
                         "(default: this month, UTC)"))] = None,
                     ) -> SlaAttainmentRead:
    """A team's SLA attainment in a period: met / total per definition."""
    period = period or clock().strftime("%Y-%m")
    start, end = parse_period(period)
    return await service.attainment(tx, team=team, period=period, start=start, end=end)
