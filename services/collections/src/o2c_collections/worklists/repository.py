"""Worklist queries: a customer's overdue items summed per currency (open minus held amounts), with its account
and its broken promises, ranked by a priority computed in SQL so that cursor pages follow the ranking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Numeric, Select, cast, func, literal, select
from sqlalchemy.sql import ColumnElement

from o2c_collections.accounts.models import Account
from o2c_collections.promises.models import Promise
from o2c_collections.receivables.models import OpenItem

BROKEN_PROMISE_WEIGHT = Decimal("0.5")


def ranked(*, as_of: date, team: str | None, collector: str | None, entity: str | None, currency: str | None,
           min_overdue: Decimal | None, min_days: int | None, max_days: int | None) -> Select[Any]:
    """One row per (customer, currency) with an overdue amount; columns named for the schema."""
    days = cast(literal(as_of) - OpenItem.due_date, Integer)
    overdue = func.sum(OpenItem.open_amount - OpenItem.disputed_amount)
    items = (select(OpenItem.customer_id, OpenItem.currency, overdue.label("overdue_amount"),
                    func.max(days).label("max_days_past_due"), func.count().label("overdue_items"))
             .where(OpenItem.status == "open", OpenItem.due_date < as_of,
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
    broken_sq = (select(Promise.customer_id, func.count().label("broken"))
                 .where(Promise.status == "broken").group_by(Promise.customer_id).subquery("broken"))
    broken = func.coalesce(broken_sq.c.broken, 0)
    risk = cast(1 + broken * BROKEN_PROMISE_WEIGHT, Numeric(10, 2))
    priority = cast(overdue_sq.c.overdue_amount * overdue_sq.c.max_days_past_due * risk, Numeric(30, 2))
    stmt = (select(overdue_sq.c.customer_id, overdue_sq.c.currency, overdue_sq.c.overdue_amount,
                   overdue_sq.c.max_days_past_due, overdue_sq.c.overdue_items,
                   Account.name, Account.collector, Account.owning_team, broken.label("broken_promises"),
                   risk.label("risk_weight"), priority.label("priority"))
            .outerjoin(Account, Account.customer_id == overdue_sq.c.customer_id)
            .outerjoin(broken_sq, broken_sq.c.customer_id == overdue_sq.c.customer_id))
    if collector is not None:
        stmt = stmt.where(Account.collector == collector)
    return stmt.subquery("worklist").select()


def order_columns(stmt: Select[Any]) -> tuple[ColumnElement[Any], ...]:
    """Highest priority first; customer and currency make the order total (for the cursor)."""
    columns = stmt.selected_columns
    return columns.priority, columns.customer_id, columns.currency
