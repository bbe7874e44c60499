"""The FX rates' HTTP edge: the rates in force on a day, a hand-set rate, and the ECB file import. Reading needs
any KPI reader; setting and importing rates needs the ``write-fx-rates`` permission (AR supervisors,
integrations such as a nightly ECB feed, admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response

from o2c_common.errors import PreconditionFailed, problem_responses
from o2c_common.http import IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep
from o2c_kpi.fx import service
from o2c_kpi.fx.ecb import MAX_FILE_BYTES
from o2c_kpi.fx.schemas import ConsolidatedRead, ImportRead, RateRead, RateWrite
from o2c_kpi.kpis.schemas import Period, PeriodKind, Scope
from o2c_kpi.permissions import FxRateWriter, Reader, team_in_view

router = APIRouter(tags=["fx"])
Currency = Annotated[str, Path(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]


@router.get("/fx/rates", response_model=Page[RateRead], responses=problem_responses(401, 403, 422))
async def rates(tx: TxDep, _principal: Reader, page: PageParams,
                on: Annotated[date | None, Query(description="The day (default: today): each currency's latest "
                                                             "rate on or before it, with its own date.")] = None
                ) -> Page[RateRead]:
    """The euro reference rates in force on a day, one per currency in currency order (`rate_date` tells how old
    each is: the ECB publishes none on weekends and TARGET holidays)."""
    return await service.rates_page(tx, on=on or tx.now().date(), page=page)


@router.put("/fx/rates/{day}/{currency}", response_model=RateRead,
            responses=problem_responses(401, 403, 412, 422, 428))
async def put_rate(day: date, currency: Currency, data: RateWrite, response: Response, tx: TxDep,
                   _principal: FxRateWriter, if_match: IfMatchDep,
                   if_none_match: Annotated[str | None, Header(
                       alias="If-None-Match", description="`*` to create a rate not stored yet (instead of "
                                                          "If-Match); 412 when one is.")] = None) -> RateRead:
    """Set a rate by hand: units of `currency` for one euro on `day` (a currency the ECB does not publish, or a
    correction). A new rate is created with `If-None-Match: *`; a stored one is changed with `If-Match` and its
    ETag (428 without either). An ECB import never overwrites a hand-set rate. Audited (`fx.rate_set`)."""
    row = await service.lock(tx, day=day, currency=currency)
    creating = (if_none_match or "").strip() == "*"
    if row is not None and creating:
        raise PreconditionFailed(f"a rate of {currency} on {day} is stored already: change it with If-Match",
                                 headers={"ETag": service.etag(row)})
    if not creating:
        if_match(service.etag(row) if row is not None else service.absent_etag(day=day, currency=currency))
    row = await service.put_rate(tx, row, day=day, currency=currency, data=data)
    set_etag(response, etag=service.etag(row))
    return RateRead.model_validate(row)


@router.post("/fx/rates/ecb", response_model=ImportRead, responses=problem_responses(401, 403, 413, 422),
             openapi_extra={"x-max-body-bytes": MAX_FILE_BYTES})
async def import_ecb(request: Request, tx: TxDep, _principal: FxRateWriter,
                     filename: Annotated[str | None, Query(max_length=255)] = None,
                     _body: Annotated[bytes, Body(media_type="application/octet-stream")] = b"") -> ImportRead:
    """Import the ECB euro foreign exchange reference rates file, the raw file as the body, in any published
    form: `eurofxref-daily.xml` (or the 90-day / historical XML), `eurofxref-hist.csv`, `eurofxref.csv`, or their
    ZIPs. A bad file is refused whole (422 `invalid-ecb-file`, naming the lines or elements at fault). Importing
    the same file again changes nothing. Audited (`fx.rates_imported`)."""
    return await service.import_ecb(tx, content=await request.body(), filename=filename)


@router.get("/kpis/consolidated", response_model=ConsolidatedRead, responses=problem_responses(401, 403, 422))
async def consolidated(
    tx: TxDep,
    _principal: Reader,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="The reporting currency.")] = "EUR",
    names: Annotated[str | None, Query(description="Comma-separated KPI names (GET /kpis/definitions); all if "
                                       "omitted.", examples=["ar_balance,past_due_ar,dso"])] = None,
    period: Annotated[PeriodKind, Query(description="day, week (ISO), month, quarter, or custom")] = PeriodKind.MONTH,
    on: Annotated[date | None, Query(alias="date", description="A day inside the period (not for custom); "
                                     "default: today (UTC).")] = None,
    start: Annotated[date | None, Query(description="First day of a custom period.")] = None,
    end: Annotated[date | None, Query(description="Last day of a custom period.")] = None,
    as_of: Annotated[date | None, Query(description="Day point-in-time KPIs and the rates are taken at "
                                                    "(default: period end).")] = None,
    legal_entity: Annotated[str | None, Query(max_length=20)] = None,
    in_currency: Annotated[str | None, Query(alias="scope_currency", pattern=r"^[A-Z]{3}$",
                                             description="Only facts in this currency (the scope).")] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64, description="Owning team, internal or vendor.")] = None,
) -> ConsolidatedRead:
    """The KPIs of `GET /kpis` with every money KPI summed across currencies in the reporting `currency`, at
    each currency's latest rate on or before `as_of` (cross rates through the euro, see `GET /fx/rates`); each
    money KPI keeps its per-currency detail (own figure, rate, converted figure). A currency without a rate is
    left out of the sum and named in `missing`. KPIs that are not money (DSO, rates, counts) are returned
    untouched in `other_values`."""
    team = team_in_view(tx.actor, team, what="KPIs")
    p = Period.of(period, on=on, start=start, end=end, as_of=as_of, today=tx.now().date())
    scope = Scope(legal_entity=legal_entity, currency=in_currency, customer_id=customer_id, team=team)
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()]
    return await service.consolidated(tx, names=wanted, period=p, scope=scope, to=currency)
