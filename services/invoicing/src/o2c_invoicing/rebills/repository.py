from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_invoicing.amendments.models import DecisionStatus
from o2c_invoicing.invoices.models import InvoiceApproval
from o2c_invoicing.rebills.models import InvoiceRebill


async def add(session: AsyncSession, row: InvoiceRebill | InvoiceApproval) -> None:
    session.add(row)
    await session.flush()


async def get(session: AsyncSession, *, invoice_id: uuid.UUID, rebill_id: uuid.UUID) -> InvoiceRebill | None:
    stmt = select(InvoiceRebill).where(InvoiceRebill.id == rebill_id, InvoiceRebill.invoice_id == invoice_id)\
        .with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def pending_for(session: AsyncSession, *, invoice_id: uuid.UUID) -> InvoiceRebill | None:
    stmt = select(InvoiceRebill).where(InvoiceRebill.invoice_id == invoice_id,
                                       InvoiceRebill.status == DecisionStatus.PENDING).limit(1)
    return (await session.scalars(stmt)).first()


async def for_invoice(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[InvoiceRebill]:
    stmt = select(InvoiceRebill).where(InvoiceRebill.invoice_id == invoice_id).order_by(InvoiceRebill.requested_at)
    return list((await session.scalars(stmt)).all())
