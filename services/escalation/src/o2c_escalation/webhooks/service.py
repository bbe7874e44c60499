"""Webhook subscriptions and their deliveries, enqueued with the event in its transaction (the sender is in
:mod:`o2c_escalation.webhooks.sender`)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_escalation.config import EscalationSettings
from o2c_escalation.webhooks import repository, targets
from o2c_escalation.webhooks.models import Delivery, DeliveryStatus, Subscription
from o2c_escalation.webhooks.schemas import (
    AttemptRead,
    DeliveryDetail,
    DeliveryRead,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionRead,
)
from o2c_escalation.webhooks.secrets import SecretBox


@dataclass
class Subscribers:
    """The active subscriptions, read once per transaction on the first event emitted (nothing to write)."""

    active: list[Subscription] | None = None

    async def of_type(self, tx: Tx, event_type: str) -> list[Subscription]:
        if self.active is None:
            self.active = await repository.active_subscriptions(tx.session)
        return [s for s in self.active if event_type in s.event_types]

    def forget(self) -> None:
        self.active = None

    async def flush(self, tx: Tx) -> None:
        return None


async def emit(tx: Tx, payload: EventPayload) -> Event[Any]:
    """Write the event to the outbox and a delivery for every active subscription to its type, in one transaction."""
    event = await tx.emit(payload)
    matching = await tx.batch(Subscribers).of_type(tx, payload.event_type)
    if matching:
        body = structured_body(event)
        now = tx.now()
        await repository.add(tx.session, *(
            Delivery(id=uuid.uuid4(), subscription_id=s.id, event_id=event.id, event_type=payload.event_type,
                     body=body, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now) for s in matching))
    return event


def structured_body(event: Event[Any]) -> str:
    """The CloudEvent in structured JSON mode (what a webhook receives)."""
    envelope = {
        "specversion": "1.0", "id": str(event.id), "type": event.type, "source": event.source,
        "subject": event.subject, "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json", "correlationid": event.correlation_id,
        "data": json.loads(event.value()),
    }
    return json.dumps(envelope, separators=(",", ":"))


async def create_subscription(tx: Tx, *, data: SubscriptionCreate,
                              settings: EscalationSettings) -> tuple[Subscription, str]:
    """The subscription, and its signing secret in clear (answered once; stored sealed with the first of
    ``webhook_secret_key``)."""
    refusal = targets.refusal(str(data.url), settings.webhook_policy())
    if refusal is not None:
        raise UnprocessableEntity(f"webhooks go to public addresses only: {refusal}",
                                  type="webhook-target-not-allowed", title="Webhook target not allowed")
    secret = secrets.token_urlsafe(32)
    subscription = await repository.add_subscription(tx.session, Subscription(
        id=uuid.uuid4(), name=data.name, url=str(data.url), secret=SecretBox.of(settings).seal(secret),
        event_types=sorted(set(data.event_types)), active=True, created_by=tx.actor.subject))
    tx.batch(Subscribers).forget()
    await tx.audit("webhook_subscription.created", entity_type="webhook_subscription", entity_id=subscription.id,
                   after={"url": subscription.url, "event_types": data.event_types})
    return subscription, secret


def owner(tx: Tx) -> str | None:
    """Whose subscriptions the caller manages: its own (the subject that created them); an admin's, every one."""
    return None if tx.actor.is_admin else tx.actor.subject


async def _subscription(tx: Tx, subscription_id: uuid.UUID) -> Subscription:
    """The caller's subscription; another owner's is a 404, as if it did not exist."""
    subscription = await repository.get_subscription(tx.session, subscription_id=subscription_id)
    if subscription is None or not _mine(tx, subscription):
        raise NotFound(f"webhook subscription {subscription_id} does not exist")
    return subscription


def _mine(tx: Tx, subscription: Subscription | None) -> bool:
    return subscription is not None and owner(tx) in (None, subscription.created_by)


async def deactivate(tx: Tx, *, subscription_id: uuid.UUID) -> None:
    subscription = await _subscription(tx, subscription_id)
    subscription.active = False
    await tx.session.flush()
    await tx.audit("webhook_subscription.deactivated", entity_type="webhook_subscription", entity_id=subscription_id)


async def list_subscriptions(tx: Tx, *, page: PageRequest) -> Page[SubscriptionRead]:
    return await repository.subscriptions_page(tx.session, page=page, owner=owner(tx))


async def list_deliveries(tx: Tx, *, page: PageRequest, subscription_id: uuid.UUID | None,
                          status: DeliveryStatus | None) -> Page[DeliveryRead]:
    return await repository.deliveries_page(tx.session, page=page, subscription_id=subscription_id, status=status,
                                            owner=owner(tx))


async def _delivery(tx: Tx, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery:
    delivery = await repository.get_delivery(tx.session, delivery_id=delivery_id, for_update=for_update)
    if delivery is None or not _mine(tx, await repository.get_subscription(tx.session,
                                                                         subscription_id=delivery.subscription_id)):
        raise NotFound(f"webhook delivery {delivery_id} does not exist")  # another owner's too
    return delivery


async def get_delivery(tx: Tx, *, delivery_id: uuid.UUID) -> DeliveryDetail:
    delivery = await _delivery(tx, delivery_id)
    log = [AttemptRead.model_validate(a) for a in await repository.attempts_of(tx.session, delivery_id=delivery_id)]
    return DeliveryDetail(**DeliveryRead.model_validate(delivery).model_dump(), log=log)


async def replay(tx: Tx, *, delivery_id: uuid.UUID) -> Delivery:
    delivery = await _delivery(tx, delivery_id, for_update=True)
    if delivery.status != DeliveryStatus.FAILED:
        raise Conflict(f"only failed deliveries can be replayed; this one is {delivery.status}")
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, tx.now()
    await tx.session.flush()
    await tx.audit("webhook_delivery.replayed", entity_type="webhook_delivery", entity_id=delivery_id)
    return delivery


async def replay_failed(tx: Tx, *, data: ReplayRequest) -> int:
    count = await repository.requeue_failed(tx.session, now=tx.now(), subscription_id=data.subscription_id,
                                            since=data.since, owner=owner(tx))
    await tx.audit("webhook_delivery.replayed_failed", entity_type="webhook_subscription",
                   entity_id=data.subscription_id or "*", after={"replayed": count, "since": data.since})
    return count
