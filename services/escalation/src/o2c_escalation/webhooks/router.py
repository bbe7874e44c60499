from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import TxDep
from o2c_escalation.deps import SettingsDep
from o2c_escalation.permissions import Integrator
from o2c_escalation.webhooks import service
from o2c_escalation.webhooks.models import DeliveryStatus
from o2c_escalation.webhooks.schemas import (
    DeliveryDetail,
    DeliveryRead,
    ReplayRequest,
    ReplayResult,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated,
             responses=problem_responses(401, 403, 409, 422))
async def create_subscription(data: SubscriptionCreate, tx: TxDep, principal: Integrator,
                              idem: IdempotencyDep, settings: SettingsDep) -> Response:
    """Subscribe a URL to event types; the response carries the signing secret (shown only once; stored
    encrypted). The URL must point at a public address unless `webhook_allow_private_targets` is on or its host
    is in `webhook_private_hosts`."""
    subscription, secret = await service.create_subscription(tx, data=data, settings=settings)
    created = SubscriptionCreated(**SubscriptionRead.model_validate(subscription).model_dump(), secret=secret)
    return await idem.respond(tx.session, status_code=201, content=created,
                              headers={"Location": f"/webhooks/subscriptions/{subscription.id}"})


@router.get("/subscriptions", response_model=Page[SubscriptionRead], responses=problem_responses(401, 403, 422))
async def list_subscriptions(tx: TxDep, principal: Integrator, page: PageParams) -> Page[SubscriptionRead]:
    return await service.list_subscriptions(tx, page=page)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(401, 403, 404, 422))
async def deactivate_subscription(subscription_id: uuid.UUID, tx: TxDep, principal: Integrator) -> Response:
    """Stop sending new events to the subscription (its delivery log stays)."""
    await service.deactivate(tx, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=Page[DeliveryRead], responses=problem_responses(401, 403, 422))
async def list_deliveries(tx: TxDep, principal: Integrator, page: PageParams,
                          subscription_id: uuid.UUID | None = None,
                          delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
                          ) -> Page[DeliveryRead]:
    """The delivery log, newest first."""
    return await service.list_deliveries(tx, page=page, subscription_id=subscription_id, status=delivery_status)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=problem_responses(401, 403, 404, 422))
async def get_delivery(delivery_id: uuid.UUID, tx: TxDep, principal: Integrator) -> DeliveryDetail:
    """One delivery with every attempt (status code, error, duration)."""
    return await service.get_delivery(tx, delivery_id=delivery_id)


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def replay_delivery(delivery_id: uuid.UUID, tx: TxDep, principal: Integrator) -> DeliveryRead:
    """Send a failed delivery again (a fresh round of retries)."""
    return DeliveryRead.model_validate(await service.replay(tx, delivery_id=delivery_id))


@router.post("/deliveries/replay", response_model=ReplayResult, responses=problem_responses(401, 403, 422))
async def replay_failed(data: ReplayRequest, tx: TxDep, principal: Integrator) -> ReplayResult:
    """Send every failed delivery again (optionally one subscription's, or since an instant)."""
    return ReplayResult(replayed=await service.replay_failed(tx, data=data))
