from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.ar.models import ReceivableMovement
from o2c_kpi.facts.models import ArInvoice


async def open_ar(session: AsyncSession, *, as_of: date, team: str | None = None) -> list[tuple[str, Any, int]]:
    """Open AR per currency as of ``as_of``: of the invoices of one owning ``team`` when given."""
    movements = (
        select(ReceivableMovement.currency, ReceivableMovement.invoice_id,
               func.sum(ReceivableMovement.amount).label("balance"))
        .where(ReceivableMovement.effective_date <= as_of)
        .group_by(ReceivableMovement.currency, ReceivableMovement.invoice_id)
    )
    if team is not None:
        movements = movements.where(ReceivableMovement.invoice_id.in_(
            select(ArInvoice.invoice_id).where(ArInvoice.owning_team == team)))
    per_invoice = movements.subquery()
    stmt = (
        select(per_invoice.c.currency, func.sum(per_invoice.c.balance),
               func.count().filter(per_invoice.c.balance != 0))
        .group_by(per_invoice.c.currency)
        .order_by(per_invoice.c.currency)
    )
    return [(row[0], row[1], int(row[2])) for row in (await session.execute(stmt)).all()]


class InvoiceOpenAmount(NamedTuple):
    invoice_id: uuid.UUID
    currency: str
    open_amount: Decimal
    movements: int
    last_sequence: int


async def open_by_invoice(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> list[InvoiceOpenAmount]:
    """Each invoice's open amount in kpi (the sum of all its movements, whatever their date), ascending by invoice
    id after ``after`` (keyset), with the number of movements and the last ledger sequence copied."""
    stmt = (select(ReceivableMovement.invoice_id, func.min(ReceivableMovement.currency),
                   func.sum(ReceivableMovement.amount), func.count(), func.max(ReceivableMovement.line))
            .group_by(ReceivableMovement.invoice_id).order_by(ReceivableMovement.invoice_id).limit(limit))
    if after is not None:
        stmt = stmt.where(ReceivableMovement.invoice_id > after)
    return [InvoiceOpenAmount(r[0], r[1], Decimal(r[2]), int(r[3]), int(r[4]))
            for r in (await session.execute(stmt)).all()]
