from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from o2c_invoicing.invoices.models import Invoice, InvoiceNumberSequence


async def next_invoice_number(session: AsyncSession, *, legal_entity: str, year: int) -> int:
    """Gapless: the counter row is locked until the caller's transaction ends, so numbers are taken in turn
    and a rolled-back transaction gives its number back."""
    stmt = (
        insert(InvoiceNumberSequence)
        .values(legal_entity=legal_entity, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[InvoiceNumberSequence.legal_entity, InvoiceNumberSequence.year],
            set_={"last_number": InvoiceNumberSequence.last_number + 1},
        )
        .returning(InvoiceNumberSequence.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())


async def add(session: AsyncSession, invoice: Invoice) -> Invoice:
    session.add(invoice)
    await session.flush()
    return invoice


async def get(session: AsyncSession, *, invoice_id: uuid.UUID) -> Invoice | None:
    stmt = select(Invoice).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines))
    return (await session.execute(stmt)).scalar_one_or_none()


def list_query(*, customer_id: str | None, team: str | None) -> Select[Invoice]:
    stmt = select(Invoice).options(selectinload(Invoice.lines))
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if team is not None:
        stmt = stmt.where(Invoice.owning_team == team)
    return stmt
