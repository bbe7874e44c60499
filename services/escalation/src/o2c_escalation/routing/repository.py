from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from o2c_escalation.routing.models import RoutingRule


async def add(session: AsyncSession, rule: RoutingRule) -> RoutingRule:
    session.add(rule)
    await session.flush()
    await session.refresh(rule, ["created_at"])
    return rule


async def get(session: AsyncSession, *, rule_id: uuid.UUID) -> RoutingRule | None:
    return await session.get(RoutingRule, rule_id)


async def delete(session: AsyncSession, rule: RoutingRule) -> None:
    await session.delete(rule)
    await session.flush()


async def list_all(session: AsyncSession) -> list[RoutingRule]:
    stmt = select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.created_at, RoutingRule.id)
    return list((await session.scalars(stmt)).all())


async def first_match(session: AsyncSession, *, category: str, region: str | None, customer_id: str | None,
                      severity: str) -> RoutingRule | None:
    stmt = (select(RoutingRule)
            .where(_matches(RoutingRule.category, category), _matches(RoutingRule.region, region),
                   _matches(RoutingRule.customer_id, customer_id), _matches(RoutingRule.severity, severity))
            .order_by(RoutingRule.priority, RoutingRule.created_at, RoutingRule.id).limit(1))
    return (await session.scalars(stmt)).first()


def _matches(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    """A null criterion matches anything; a set one only its value."""
    return or_(column.is_(None), column == value) if value is not None else column.is_(None)
