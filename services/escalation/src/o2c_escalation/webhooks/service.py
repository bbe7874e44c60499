"""Webhook subscriptions, their deliveries (enqueued with the event, in its transaction) and the sender."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.db import Database
from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_common.outbox import Outbox
from o2c_escalation.config import EscalationSettings
from o2c_escalation.webhooks import repository, targets
from o2c_escalation.webhooks.models import Attempt, Delivery, Subscription
from o2c_escalation.webhooks.schemas import (
    AttemptRead,
    DeliveryDetail,
    DeliveryRead,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionRead,
)
from o2c_escalation.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, backoff_seconds, sign

_SUBSCRIPTIONS_CACHE = "o2c_webhook_subscriptions"


async def emit(session: AsyncSession, *, outbox: Outbox, payload: EventPayload) -> Event:
    """Write the event to the outbox and a delivery for every active subscription to its type, in one transaction."""
    event = await outbox.emit(session, payload)
    if _SUBSCRIPTIONS_CACHE not in session.info:
        session.info[_SUBSCRIPTIONS_CACHE] = await repository.active_subscriptions(session)
    subscriptions: list[Subscription] = session.info[_SUBSCRIPTIONS_CACHE]
    matching = [s for s in subscriptions if payload.event_type in s.event_types]
    if matching:
        body = structured_body(event)
        now = datetime.now(UTC)
        await repository.add(session, *(
            Delivery(id=uuid.uuid4(), subscription_id=s.id, event_id=event.id, event_type=payload.event_type,
                     body=body, status="pending", attempts=0, next_attempt_at=now) for s in matching))
    return event


def structured_body(event: Event) -> str:
    """The CloudEvent in structured JSON mode (what a webhook receives)."""
    envelope = {
        "specversion": "1.0", "id": str(event.id), "type": event.type, "source": event.source,
        "subject": event.subject, "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json", "correlationid": event.correlation_id,
        "data": json.loads(event.value()),
    }
    return json.dumps(envelope, separators=(",", ":"))


async def create_subscription(session: AsyncSession, *, data: SubscriptionCreate, actor: Principal,
                              allow_private_targets: bool) -> Subscription:
    refusal = None if allow_private_targets else targets.literal_refusal(str(data.url))
    if refusal is not None:
        raise UnprocessableEntity(f"webhooks go to public addresses only: {refusal}",
                                  type="webhook-target-not-allowed", title="Webhook target not allowed")
    subscription = Subscription(id=uuid.uuid4(), name=data.name, url=str(data.url), secret=secrets.token_urlsafe(32),
                                event_types=sorted(set(data.event_types)), active=True, created_by=actor.subject)
    await repository.add(session, subscription)
    await session.refresh(subscription, ["created_at"])
    session.info.pop(_SUBSCRIPTIONS_CACHE, None)
    await record_audit(session, actor=actor, action="webhook_subscription.created", entity_type="webhook_subscription",
                       entity_id=subscription.id, after={"url": subscription.url, "event_types": data.event_types})
    return subscription


async def deactivate(session: AsyncSession, *, subscription_id: uuid.UUID, actor: Principal) -> None:
    subscription = await repository.get_subscription(session, subscription_id=subscription_id)
    if subscription is None:
        raise NotFound(f"webhook subscription {subscription_id} does not exist")
    subscription.active = False
    await session.flush()
    await record_audit(session, actor=actor, action="webhook_subscription.deactivated",
                       entity_type="webhook_subscription", entity_id=subscription_id)


async def list_subscriptions(session: AsyncSession, *, page: PageRequest) -> Page[SubscriptionRead]:
    stmt = keyset_select(repository.subscriptions_select(), page=page,
                         order_by=(Subscription.created_at, Subscription.id))
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda s: (s.created_at, s.id), item=SubscriptionRead.model_validate)


async def list_deliveries(session: AsyncSession, *, page: PageRequest, subscription_id: uuid.UUID | None,
                          status: str | None) -> Page[DeliveryRead]:
    stmt = keyset_select(repository.deliveries_select(subscription_id=subscription_id, status=status), page=page,
                         order_by=(Delivery.created_at, Delivery.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda d: (d.created_at, d.id), item=DeliveryRead.model_validate)


async def get_delivery(session: AsyncSession, *, delivery_id: uuid.UUID) -> DeliveryDetail:
    delivery = await repository.get_delivery(session, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    log = [AttemptRead.model_validate(a) for a in await repository.attempts_of(session, delivery_id=delivery_id)]
    return DeliveryDetail(**DeliveryRead.model_validate(delivery).model_dump(), log=log)


async def replay(session: AsyncSession, *, delivery_id: uuid.UUID, actor: Principal) -> Delivery:
    delivery = await repository.get_delivery(session, delivery_id=delivery_id, for_update=True)
    if delivery is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    if delivery.status != "failed":
        raise Conflict(f"only failed deliveries can be replayed; this one is {delivery.status}")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, datetime.now(UTC)
    await session.flush()
    await record_audit(session, actor=actor, action="webhook_delivery.replayed", entity_type="webhook_delivery",
                       entity_id=delivery_id)
    return delivery


async def replay_failed(session: AsyncSession, *, data: ReplayRequest, actor: Principal) -> int:
    count = await repository.requeue_failed(session, now=datetime.now(UTC), subscription_id=data.subscription_id,
                                            since=data.since)
    await record_audit(session, actor=actor, action="webhook_delivery.replayed_failed",
                       entity_type="webhook_subscription", entity_id=data.subscription_id or "*",
                       after={"replayed": count, "since": data.since})
    return count


# --- sender (run by the worker) -------------------------------------------------------------------------


async def deliver_due(db: Database, *, settings: EscalationSettings, client: httpx.AsyncClient) -> int:
    """Send one batch of due deliveries; rows stay locked (SKIP LOCKED) until their outcome is stored."""
    async with db.unit_of_work() as session:
        claimed = await repository.claim_due(session, now=datetime.now(UTC), limit=settings.webhook_batch_size)
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(_post(client, d, s, settings) for d, s in claimed))
        for (delivery, _), attempt in zip(claimed, outcomes, strict=True):
            _record(delivery, attempt, settings=settings)
        await repository.add(session, *outcomes)
        return len(claimed)


async def _post(client: httpx.AsyncClient, delivery: Delivery, subscription: Subscription,
                settings: EscalationSettings) -> Attempt:
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/cloudevents+json", SIGNATURE_HEADER: sign(secret=subscription.secret,
                                                                             timestamp=timestamp, body=body),
        TIMESTAMP_HEADER: str(timestamp), "X-O2C-Delivery-Id": str(delivery.id),
        "X-O2C-Event-Id": str(delivery.event_id), "X-O2C-Event-Type": delivery.event_type,
    }
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        if not settings.webhook_allow_private_targets:
            await targets.check(subscription.url)
        response = await client.post(subscription.url, content=body, headers=headers,
                                     timeout=settings.webhook_timeout_s)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except targets.TargetNotAllowed as exc:
        error = f"target not allowed: {exc}"[:500]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Attempt(delivery_id=delivery.id, attempted_at=datetime.now(UTC), status_code=status_code, error=error,
                   duration_ms=int((time.monotonic() - started) * 1000))


def _record(delivery: Delivery, attempt: Attempt, *, settings: EscalationSettings) -> None:
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = attempt.status_code, attempt.error
    if attempt.error is None:
        delivery.status, delivery.delivered_at = "delivered", attempt.attempted_at
    elif delivery.attempts >= settings.webhook_max_attempts:
        delivery.status = "failed"
    else:
        delay = backoff_seconds(attempts=delivery.attempts, base=settings.webhook_backoff_base_s,
                                maximum=settings.webhook_backoff_max_s)
        delivery.next_attempt_at = attempt.attempted_at + timedelta(seconds=delay)
