"""The queries of a payment's remittance and applications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.cashapp.models import Application, RemittanceLine


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
