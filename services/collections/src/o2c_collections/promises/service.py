"""Promise-to-pay: recorded by a collector, kept when cash applied by the promised date reaches the amount,
broken when the date passes without it (decided by the daily run)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.promises.models import Promise


async def record_cash(session: AsyncSession, *, customer_id: str, currency: str, amount: Decimal,
                      applied_date: date) -> None:
    """Cash applied for the customer counts towards its open promises, oldest first (decided in the run)."""
    stmt = (select(Promise).where(Promise.customer_id == customer_id, Promise.currency == currency,
                                  Promise.status == "open", Promise.promised_date >= applied_date)
            .order_by(Promise.promised_date, Promise.id).with_for_update())
    left = amount
    for promise in (await session.scalars(stmt)).all():
        if left <= 0:
            break
        take = min(left, promise.amount - promise.paid_amount)
        if take > 0:
            promise.paid_amount += take
            promise.version += 1
            left -= take
            if promise.paid_amount >= promise.amount:
                promise.decided_on = applied_date  # reached: the run marks it kept
    await session.flush()


def now() -> datetime:
    return datetime.now(UTC)
