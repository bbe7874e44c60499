"""Every query of the digests: subscriptions (by team, paged) and deliveries (claimed once per period)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page, load_visible, where_equal
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_kpi.digests.models import DeliveryTrigger, DigestDelivery, DigestSubscription

R = TypeVar("R")


async def add(session: AsyncSession, subscription: DigestSubscription) -> None:
    session.add(subscription)
    await session.flush()


async def get(tx: Tx, subscription_id: uuid.UUID, *, for_update: bool = False) -> DigestSubscription:
    """404 when it does not exist, 403 when it is another team's (vendor agents)."""
    return await load_visible(tx, DigestSubscription, subscription_id, for_update=for_update,
                              label="digest subscription")


async def delete(session: AsyncSession, subscription: DigestSubscription) -> None:
    await session.delete(subscription)
    await session.flush()


async def page(session: AsyncSession, *, page: PageRequest, team: str | None, kind: str | None,
               item: Callable[[Any], R]) -> Page[R]:
    query = where_equal(select(DigestSubscription), {DigestSubscription.owning_team: team,
                                                     DigestSubscription.kind: kind})
    return await keyset_page(session, query, page=page, order_by=(DigestSubscription.created_at,
                                                                   DigestSubscription.id), item=item)


async def active(session: AsyncSession) -> Sequence[DigestSubscription]:
    return (await session.scalars(select(DigestSubscription).where(DigestSubscription.active.is_(True))
                                  .order_by(DigestSubscription.id))).all()


async def sent(session: AsyncSession, keys: Sequence[tuple[uuid.UUID, date]]) -> set[tuple[uuid.UUID, date]]:
    """Which (subscription, review date) pairs already went out on schedule: one statement for all of them."""
    if not keys:
        return set()
    rows = await session.execute(
        select(DigestDelivery.subscription_id, DigestDelivery.review_date)
        .where(DigestDelivery.trigger == DeliveryTrigger.SCHEDULED,
               tuple_(DigestDelivery.subscription_id, DigestDelivery.review_date).in_(keys)))
    return {(r.subscription_id, r.review_date) for r in rows}


async def claim(session: AsyncSession, delivery: dict[str, Any]) -> bool:
    """Record a scheduled delivery; False when that period was already claimed (by another replica, or before).
    A second claimer waits on the first's row until that transaction ends, so a digest goes out once."""
    stmt = (insert(DigestDelivery).values(id=uuid.uuid4(), trigger=DeliveryTrigger.SCHEDULED.value, **delivery)
            .on_conflict_do_nothing(index_elements=["subscription_id", "review_date"],
                                    index_where=DigestDelivery.trigger == DeliveryTrigger.SCHEDULED.value)
            .returning(DigestDelivery.id))
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def record(session: AsyncSession, delivery: DigestDelivery) -> None:
    session.add(delivery)
    await session.flush()


async def deliveries(session: AsyncSession, *, subscription_id: uuid.UUID, page: PageRequest,
                     item: Callable[[Any], R]) -> Page[R]:
    query = select(DigestDelivery).where(DigestDelivery.subscription_id == subscription_id)
    return await keyset_page(session, query, page=page, order_by=(DigestDelivery.sent_at, DigestDelivery.id),
                             item=item, descending=True)
