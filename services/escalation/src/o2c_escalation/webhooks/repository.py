from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page, load, where_equal
from o2c_common.http import Page, PageRequest
from o2c_escalation.webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription
from o2c_escalation.webhooks.schemas import DeliveryRead, SubscriptionRead


async def add(session: AsyncSession, *rows: Subscription | Delivery | Attempt) -> None:
    session.add_all(rows)
    await session.flush()


async def add_subscription(session: AsyncSession, subscription: Subscription) -> Subscription:
    await add(session, subscription)
    await session.refresh(subscription, ["created_at"])
    return subscription


async def get_subscription(session: AsyncSession, *, subscription_id: uuid.UUID) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def active_subscriptions(session: AsyncSession) -> list[Subscription]:
    return list((await session.scalars(select(Subscription).where(Subscription.active))).all())


async def subscriptions_page(session: AsyncSession, *, page: PageRequest, owner: str | None) -> Page[SubscriptionRead]:
    """Subscriptions created by ``owner`` (every one for ``None``), oldest first."""
    stmt = where_equal(select(Subscription), {Subscription.created_by: owner})
    return await keyset_page(session, stmt, page=page,
                             order_by=(Subscription.created_at, Subscription.id), item=SubscriptionRead.model_validate)


async def deliveries_page(session: AsyncSession, *, page: PageRequest, subscription_id: uuid.UUID | None,
                          status: DeliveryStatus | None, owner: str | None) -> Page[DeliveryRead]:
    stmt = where_equal(select(Delivery), {Delivery.subscription_id: subscription_id, Delivery.status: status})
    if owner is not None:
        stmt = stmt.where(Delivery.subscription_id.in_(_owned(owner)))
    return await keyset_page(session, stmt, page=page, order_by=(Delivery.created_at, Delivery.id),
                             item=DeliveryRead.model_validate, descending=True)


async def get_delivery(session: AsyncSession, *, delivery_id: uuid.UUID, for_update: bool = False) -> Delivery | None:
    return await load(session, Delivery, delivery_id, for_update=for_update)


async def attempts_of(session: AsyncSession, *, delivery_id: uuid.UUID) -> list[Attempt]:
    stmt = select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)
    return list((await session.scalars(stmt)).all())


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[tuple[Delivery, Subscription]]:
    """Pending deliveries whose next attempt is due, locked (``FOR UPDATE SKIP LOCKED``) with their subscription."""
    stmt = (select(Delivery, Subscription).join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
            .with_for_update(of=Delivery, skip_locked=True))
    return [(d, s) for d, s in (await session.execute(stmt)).all()]


async def requeue_failed(session: AsyncSession, *, now: datetime, subscription_id: uuid.UUID | None,
                         since: datetime | None, owner: str | None) -> int:
    stmt = (update(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
            .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now))
    if owner is not None:
        stmt = stmt.where(Delivery.subscription_id.in_(_owned(owner)))
    if subscription_id is not None:
        stmt = stmt.where(Delivery.subscription_id == subscription_id)
    if since is not None:
        stmt = stmt.where(Delivery.created_at >= since)
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


def _owned(owner: str) -> Select[uuid.UUID]:
    """The ids of the subscriptions ``owner`` created."""
    return select(Subscription.id).where(Subscription.created_by == owner)
