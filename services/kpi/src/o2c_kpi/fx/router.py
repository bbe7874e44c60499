"""The FX rates' HTTP edge: the rates in force on a day, a hand-set rate, and the ECB file import. Reading needs
any KPI reader; setting and importing rates needs the ``write-fx-rates`` permission (AR supervisors,
integrations such as a nightly ECB feed, admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response

from o2c_common.errors import problem_responses
from o2c_common.http import IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep
from o2c_kpi.fx import service
from o2c_kpi.fx.ecb import MAX_FILE_BYTES
from o2c_kpi.fx.schemas import ImportRead, RateRead, RateWrite
from o2c_kpi.permissions import FxRateWriter, Reader

router = APIRouter(prefix="/fx", tags=["fx"])
Currency = Annotated[str, Path(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]


@router.get("/rates", response_model=Page[RateRead], responses=problem_responses(401, 403, 422))
async def rates(tx: TxDep, _principal: Reader, page: PageParams,
                on: Annotated[date | None, Query(description="The day (default: today): each currency's latest "
                                                             "rate on or before it, with its own date.")] = None
                ) -> Page[RateRead]:
    """The euro reference rates in force on a day, one per currency in currency order (`rate_date` tells how old
    each is: the ECB publishes none on weekends and TARGET holidays)."""
    return await service.rates_page(tx, on=on or tx.now().date(), page=page)


@router.put("/rates/{day}/{currency}", response_model=RateRead,
            responses=problem_responses(401, 403, 412, 422, 428))
async def put_rate(day: date, currency: Currency, data: RateWrite, response: Response, tx: TxDep,
                   _principal: FxRateWriter, if_match: IfMatchDep) -> RateRead:
    """Set a rate by hand: units of `currency` for one euro on `day` (a currency the ECB does not publish, or a
    correction). A rate already stored needs `If-Match` with its ETag. An ECB import never overwrites a hand-set
    rate. Audited (`fx.rate_set`)."""
    row = await service.lock(tx, day=day, currency=currency)
    if row is not None:
        if_match(service.etag(row))
    row = await service.put_rate(tx, row, day=day, currency=currency, data=data)
    set_etag(response, etag=service.etag(row))
    return RateRead.model_validate(row)


@router.post("/rates/ecb", response_model=ImportRead, responses=problem_responses(401, 403, 413, 422),
             openapi_extra={"x-max-body-bytes": MAX_FILE_BYTES})
async def import_ecb(request: Request, tx: TxDep, _principal: FxRateWriter,
                     filename: Annotated[str | None, Query(max_length=255)] = None,
                     _body: Annotated[bytes, Body(media_type="application/octet-stream")] = b"") -> ImportRead:
    """Import the ECB euro foreign exchange reference rates file, the raw file as the body, in any published
    form: `eurofxref-daily.xml` (or the 90-day / historical XML), `eurofxref-hist.csv`, `eurofxref.csv`, or their
    ZIPs. A bad file is refused whole (422 `invalid-ecb-file`, naming the lines or elements at fault). Importing
    the same file again changes nothing. Audited (`fx.rates_imported`)."""
    return await service.import_ecb(tx, content=await request.body(), filename=filename)
