from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import load
from o2c_invoicing.creditnotes.models import CreditNote


async def add(session: AsyncSession, note: CreditNote) -> CreditNote:
    session.add(note)
    await session.flush()
    return note


async def by_request(session: AsyncSession, *, request_id: uuid.UUID) -> CreditNote | None:
    return (await session.execute(select(CreditNote).where(CreditNote.request_id == request_id))).scalar_one_or_none()


async def for_invoice(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[CreditNote]:
    stmt = select(CreditNote).where(CreditNote.invoice_id == invoice_id).order_by(CreditNote.created_at)
    return list((await session.scalars(stmt)).all())


async def get(session: AsyncSession, *, credit_note_id: uuid.UUID) -> CreditNote | None:
    return await load(session, CreditNote, credit_note_id)


async def hand_issued_total(session: AsyncSession, *, invoice_id: uuid.UUID) -> Decimal:
    """What credit notes issued in invoicing (not from a collections request) credited on the invoice so far."""
    total = await session.scalar(select(func.coalesce(func.sum(CreditNote.amount), 0))
                                 .where(CreditNote.invoice_id == invoice_id, CreditNote.request_id.is_(None)))
    return Decimal(total or 0)
