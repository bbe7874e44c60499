from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from o2c_escalation.routing.models import AccountTeam, RoutingRule


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


async def account_team(session: AsyncSession, *, customer_id: str) -> str | None:
    stmt = select(AccountTeam.owning_team).where(AccountTeam.customer_id == customer_id)
    return (await session.scalars(stmt)).first()


async def remember_account(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert or update the customer's row unless it already holds this version or a newer one."""
    new = insert(AccountTeam).values(**values)
    stmt = new.on_conflict_do_update(
        index_elements=[AccountTeam.customer_id],
        set_={name: new.excluded[name] for name in ("owning_team", "collector", "version", "updated_at")},
        where=AccountTeam.version < new.excluded.version,
    ).returning(AccountTeam.customer_id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None
