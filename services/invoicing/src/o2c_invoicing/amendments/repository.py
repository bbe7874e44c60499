from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_invoicing.amendments.models import DecisionStatus, InvoiceAmendment, InvoiceDocument
from o2c_invoicing.invoices.models import InvoiceAttachment


async def add(session: AsyncSession, row: InvoiceAmendment | InvoiceDocument | InvoiceAttachment) -> None:
    session.add(row)
    await session.flush()


async def get(session: AsyncSession, *, invoice_id: uuid.UUID, amendment_id: uuid.UUID,
              for_update: bool = False) -> InvoiceAmendment | None:
    stmt = select(InvoiceAmendment).where(InvoiceAmendment.id == amendment_id,
                                          InvoiceAmendment.invoice_id == invoice_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def pending_for(session: AsyncSession, *, invoice_id: uuid.UUID) -> InvoiceAmendment | None:
    stmt = select(InvoiceAmendment).where(InvoiceAmendment.invoice_id == invoice_id,
                                          InvoiceAmendment.status == DecisionStatus.PENDING).limit(1)
    return (await session.scalars(stmt)).first()


async def for_invoice(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[InvoiceAmendment]:
    stmt = select(InvoiceAmendment).where(InvoiceAmendment.invoice_id == invoice_id)\
        .order_by(InvoiceAmendment.requested_at)
    return list((await session.scalars(stmt)).all())


async def last_document_version(session: AsyncSession, *, invoice_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.max(InvoiceDocument.version), 0)).where(InvoiceDocument.invoice_id == invoice_id)
    return int((await session.execute(stmt)).scalar_one())


async def documents(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[InvoiceDocument]:
    stmt = select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id).order_by(InvoiceDocument.version)
    return list((await session.scalars(stmt)).all())
