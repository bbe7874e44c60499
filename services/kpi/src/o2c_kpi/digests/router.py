"""``/digests``: subscriptions to scheduled e-mail digests of the reviews, their deliveries, and a digest sent now."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from o2c_common.entities import version_etag
from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep
from o2c_kpi.clock import ClockDep
from o2c_kpi.config import KpiSettings
from o2c_kpi.digests import repository, service
from o2c_kpi.digests.schemas import DeliveryRead, DigestRead, DigestWrite
from o2c_kpi.permissions import DigestManager, Reader
from o2c_kpi.reports.schemas import ReportKind

router = APIRouter(prefix="/digests", tags=["digests"])
DigestId = Annotated[uuid.UUID, Path(description="The subscription.")]


def _settings(request: Request) -> KpiSettings:
    settings: KpiSettings = request.app.state.settings
    return settings


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DigestRead,
             responses=problem_responses(401, 403, 409, 422))
async def subscribe(data: DigestWrite, request: Request, tx: TxDep, _principal: DigestManager, clock: ClockDep,
                    idem: IdempotencyDep) -> Response:
    """Subscribe addresses to a review by e-mail (AR supervisor, service delivery lead). Audited."""
    subscription = await service.create(tx, data, settings=_settings(request), clock=clock)
    return await idem.respond(tx.session, status_code=201, content=service.read(subscription),
                              headers={"Location": f"/digests/{subscription.id}",
                                       "ETag": version_etag(subscription)})


@router.get("", response_model=Page[DigestRead], responses=problem_responses(401, 403, 422))
async def list_subscriptions(tx: TxDep, _principal: Reader, page: PageParams,
                             team: Annotated[str | None, Query(max_length=64)] = None,
                             kind: ReportKind | None = None) -> Page[DigestRead]:
    """Subscriptions, oldest first; vendor agents see their own team's."""
    return await service.list_subscriptions(tx, page=page, team=team, kind=kind)


@router.get("/{digest_id}", response_model=DigestRead, responses=problem_responses(401, 403, 404, 422))
async def get_subscription(digest_id: DigestId, response: Response, tx: TxDep, _principal: Reader) -> DigestRead:
    subscription = await repository.get(tx, digest_id)
    set_etag(response, etag=version_etag(subscription))
    return service.read(subscription)


@router.put("/{digest_id}", response_model=DigestRead, responses=problem_responses(401, 403, 404, 412, 422, 428))
async def change(digest_id: DigestId, data: DigestWrite, request: Request, response: Response, tx: TxDep,
                 _principal: DigestManager, if_match: IfMatchDep, clock: ClockDep) -> DigestRead:
    """Replace a subscription (needs `If-Match` with its ETag). Audited."""
    subscription = await repository.get(tx, digest_id, for_update=True)
    if_match(version_etag(subscription))
    subscription = await service.update(tx, subscription, data, settings=_settings(request), clock=clock)
    set_etag(response, etag=version_etag(subscription))
    return service.read(subscription)


@router.delete("/{digest_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(401, 403, 404, 412, 422, 428))
async def unsubscribe(digest_id: DigestId, tx: TxDep, _principal: DigestManager, if_match: IfMatchDep) -> Response:
    """Delete a subscription and its delivery record (needs `If-Match`). Audited."""
    subscription = await repository.get(tx, digest_id, for_update=True)
    if_match(version_etag(subscription))
    await service.delete(tx, subscription)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{digest_id}/send", status_code=status.HTTP_201_CREATED, response_model=DeliveryRead,
             responses=problem_responses(401, 403, 404, 422, 502))
async def send_now(digest_id: DigestId, request: Request, tx: TxDep, _principal: DigestManager,
                   clock: ClockDep) -> DeliveryRead:
    """Send the digest of the last complete period now (the scheduled one still goes out). 502 when the mail server
    does not take it. Audited."""
    subscription = await repository.get(tx, digest_id, for_update=True)
    delivery = await service.send_now(tx, subscription, settings=_settings(request), clock=clock)
    return DeliveryRead.model_validate(delivery)


@router.get("/{digest_id}/deliveries", response_model=Page[DeliveryRead],
            responses=problem_responses(401, 403, 404, 422))
async def deliveries(digest_id: DigestId, tx: TxDep, _principal: Reader, page: PageParams) -> Page[DeliveryRead]:
    """What went out for a subscription, newest first."""
    subscription = await repository.get(tx, digest_id)
    return await service.list_deliveries(tx, subscription, page=page)
