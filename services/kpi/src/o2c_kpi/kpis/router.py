from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from o2c_common.errors import problem_responses
from o2c_common.uow import TxDep
from o2c_kpi.kpis import service
from o2c_kpi.kpis.schemas import KpiDefinition, KpiQueryRead, Period, PeriodKind, Scope
from o2c_kpi.permissions import Reader, team_in_view

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get("", response_model=KpiQueryRead, responses=problem_responses(401, 403, 422))
async def kpis(
    tx: TxDep,
    _principal: Reader,
    names: Annotated[str | None, Query(description="Comma-separated KPI names (GET /kpis/definitions); all if "
                                       "omitted.", examples=["dso,count_back_dso,cei,aging"])] = None,
    period: Annotated[PeriodKind, Query(description="day, week (ISO), month, quarter, or custom")] = PeriodKind.MONTH,
    on: Annotated[date | None, Query(alias="date", description="A day inside the period (not for custom); "
                                     "default: today (UTC).")] = None,
    start: Annotated[date | None, Query(description="First day of a custom period.")] = None,
    end: Annotated[date | None, Query(description="Last day of a custom period.")] = None,
    as_of: Annotated[date | None, Query(description="Day point-in-time KPIs are taken at (default: period end).")
                     ] = None,
    legal_entity: str | None = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    customer_id: str | None = None,
    team: Annotated[str | None, Query(description="Owning team, internal or vendor.")] = None,
) -> KpiQueryRead:
    """KPI values for a period and a scope, computed from the read models (see `GET /kpis/definitions`)."""
    team = team_in_view(tx.actor, team, what="KPIs")
    p = Period.of(period, on=on, start=start, end=end, as_of=as_of, today=tx.now().date())
    scope = Scope(legal_entity=legal_entity, currency=currency, customer_id=customer_id, team=team)
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()]
    values = await service.compute(tx, names=wanted, period=p, scope=scope)
    return KpiQueryRead(period_kind=p.kind, period_start=p.start, period_end=p.end, as_of=p.at,
                        scope={"legal_entity": legal_entity, "currency": currency, "customer_id": customer_id,
                               "team": team}, values=values)


@router.get("/definitions", response_model=list[KpiDefinition], responses=problem_responses(401))
async def definitions(_principal: Reader) -> list[KpiDefinition]:
    """Every KPI with its formula, unit and a worked example."""
    return service.definitions()
