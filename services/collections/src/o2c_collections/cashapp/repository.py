"""The queries of a payment's remittance and applications, and of the patterns learned per payer."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.cashapp.models import Application, Pattern, PatternKind, RemittanceLine
from o2c_collections.cashapp.schemas import PatternRead
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest


async def add_all(session: AsyncSession, rows: Sequence[object]) -> None:
    session.add_all(rows)
    await session.flush()


async def lines(session: AsyncSession, *, payment_id: uuid.UUID) -> list[RemittanceLine]:
    stmt = select(RemittanceLine).where(RemittanceLine.payment_id == payment_id).order_by(RemittanceLine.position)
    return list((await session.scalars(stmt)).all())


async def applications(session: AsyncSession, *, payment_id: uuid.UUID) -> list[Application]:
    stmt = select(Application).where(Application.payment_id == payment_id).order_by(Application.applied_at,
                                                                                      Application.id)
    return list((await session.scalars(stmt)).all())


async def application(session: AsyncSession, *, application_id: uuid.UUID) -> Application | None:
    return await session.get(Application, application_id)


async def patterns_of(session: AsyncSession, *, customer_ids: Sequence[str], kind: str) -> list[Pattern]:
    if not customer_ids:
        return []
    stmt = (select(Pattern).where(Pattern.customer_id.in_(customer_ids), Pattern.kind == kind)
            .order_by(Pattern.learned_at, Pattern.id))
    return list((await session.scalars(stmt)).all())


async def alias_customers(session: AsyncSession, *, value: str) -> list[str]:
    """The customers a payer name was learned as (more than one: the alias proves nothing)."""
    stmt = select(Pattern.customer_id).where(Pattern.kind == PatternKind.ALIAS, Pattern.value == value).distinct()
    return list((await session.scalars(stmt)).all())


async def add_pattern(session: AsyncSession, values: dict[str, Any]) -> Pattern | None:
    """The new pattern, or None when the customer has it already (``ON CONFLICT DO NOTHING``)."""
    stmt = (insert(Pattern).values(**values)
            .on_conflict_do_nothing(constraint="uq_cashapp_patterns_customer_kind_value").returning(Pattern.id))
    created = (await session.execute(stmt)).scalar_one_or_none()
    return None if created is None else await session.get_one(Pattern, created)


async def pattern_page(session: AsyncSession, *, page: PageRequest, customer_id: str | None,
                       team: str | None) -> Page[PatternRead]:
    stmt = where_equal(select(Pattern), {Pattern.customer_id: customer_id, Pattern.owning_team: team})
    return await keyset_page(session, stmt, page=page, order_by=(Pattern.learned_at, Pattern.id),
                             item=PatternRead.model_validate)


async def delete_pattern(session: AsyncSession, pattern: Pattern) -> None:
    await session.delete(pattern)
    await session.flush()


async def alias_customers_of(session: AsyncSession, *, values: Sequence[str]) -> dict[str, list[str]]:
    """:func:`alias_customers` for many payer names in one statement: name -> the customers it was learned as."""
    if not values:
        return {}
    stmt = (select(Pattern.value, Pattern.customer_id)
            .where(Pattern.kind == PatternKind.ALIAS, Pattern.value.in_(list(values))).distinct())
    found: dict[str, list[str]] = {}
    for value, customer in (await session.execute(stmt)).all():
        found.setdefault(value, []).append(customer)
    return found
