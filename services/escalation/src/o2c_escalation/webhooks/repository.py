from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.webhooks.models import Attempt, Delivery, Subscription


async def add(session: AsyncSession, *rows: Subscription | Delivery | Attempt) -> None:
    session.add_all(rows)
    await session.flush()


async def get_subscription(session: AsyncSession, *, subscription_id: uuid.UUID) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def active_subscriptions(session: AsyncSession) -> list[Subscription]:
    return list((await session.scalars(select(Subscription).where(Subscription.active))).all())


def subscriptions_select() -> Select[Subscription]:
    return select(Subscription)


def deliveries_select(*, subscription_id: uuid.UUID | None, status: str | None) -> Select[Delivery]:
    stmt = select(Delivery)
    if subscription_id is not None:
        stmt = stmt.where(Delivery.subscription_id == subscription_id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    return stmt


async def get_delivery(session: AsyncSession, *, delivery_id: uuid.UUID, for_update: bool = False) -> Delivery | None:
    return await session.get(Delivery, delivery_id, with_for_update=for_update)


async def attempts_of(session: AsyncSession, *, delivery_id: uuid.UUID) -> list[Attempt]:
    stmt = select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)
    return list((await session.scalars(stmt)).all())


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[tuple[Delivery, Subscription]]:
    """Pending deliveries whose next attempt is due, locked (``FOR UPDATE SKIP LOCKED``) with their subscription."""
    stmt = (select(Delivery, Subscription).join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
            .with_for_update(of=Delivery, skip_locked=True))
    return [(d, s) for d, s in (await session.execute(stmt)).all()]


async def requeue_failed(session: AsyncSession, *, now: datetime, subscription_id: uuid.UUID | None,
                         since: datetime | None) -> int:
    stmt = (update(Delivery).where(Delivery.status == "failed")
            .values(status="pending", attempts=0, next_attempt_at=now))
    if subscription_id is not None:
        stmt = stmt.where(Delivery.subscription_id == subscription_id)
    if since is not None:
        stmt = stmt.where(Delivery.created_at >= since)
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]
