"""Worklist queries: a customer's overdue items summed per currency (open minus held amounts), with its account.
The ranking (which needs each customer's credit risk score) is done by the service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Row, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account
from o2c_collections.receivables.models import OpenItem, OpenItemStatus


async def overdue_accounts(session: AsyncSession, *, as_of: date, team: str | None, collector: str | None,
                           entity: str | None, currency: str | None, min_overdue: Decimal | None,
                           min_days: int | None, max_days: int | None) -> Sequence[Row[Any]]:
    """One row per (customer, currency) with an overdue amount (its collectable part); columns named for the schema."""
    days = cast(literal(as_of) - OpenItem.due_date, Integer)
    overdue = func.sum(OpenItem.open_amount - OpenItem.disputed_amount)
    items = (select(OpenItem.customer_id, OpenItem.currency, overdue.label("overdue_amount"),
                    func.max(days).label("max_days_past_due"), func.count().label("overdue_items"))
             .where(OpenItem.status == OpenItemStatus.OPEN, OpenItem.due_date < as_of,
                    OpenItem.open_amount > OpenItem.disputed_amount)
             .group_by(OpenItem.customer_id, OpenItem.currency))
    if team is not None:
        items = items.where(OpenItem.owning_team == team)
    if entity is not None:
        items = items.where(OpenItem.legal_entity == entity)
    if currency is not None:
        items = items.where(OpenItem.currency == currency)
    if min_overdue is not None:
        items = items.having(overdue >= min_overdue)
    if min_days is not None:
        items = items.having(func.max(days) >= min_days)
    if max_days is not None:
        items = items.having(func.max(days) <= max_days)
    overdue_sq = items.subquery("overdue")
    stmt = (select(overdue_sq.c.customer_id, overdue_sq.c.currency, overdue_sq.c.overdue_amount,
                   overdue_sq.c.max_days_past_due, overdue_sq.c.overdue_items,
                   Account.name, Account.collector, Account.owning_team)
            .outerjoin(Account, Account.customer_id == overdue_sq.c.customer_id)
            .order_by(overdue_sq.c.customer_id, overdue_sq.c.currency))
    if collector is not None:
        stmt = stmt.where(Account.collector == collector)
    return (await session.execute(stmt)).all()
