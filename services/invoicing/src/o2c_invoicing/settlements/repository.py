from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.invoices.states import BEFORE_ISSUE


async def page(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> list[Any]:
    """Issued invoices (a number, not draft, approved or cancelled) by id ascending, after ``after``."""
    stmt = select(Invoice.id.label("invoice_id"), Invoice.number, Invoice.customer_id, Invoice.owning_team,
                  Invoice.currency, Invoice.total_amount, Invoice.settlement_status, Invoice.ledger_open_amount,
                  Invoice.ledger_sequence, Invoice.paid_amount.label("cash_applied_amount"),
                  Invoice.credited_amount, Invoice.ledger_credited_amount, Invoice.written_off_amount,
                  Invoice.status, func.greatest(Invoice.status_since, Invoice.ledger_updated_at).label("updated_at"),
                  ).where(Invoice.number.is_not(None), Invoice.status.not_in(BEFORE_ISSUE))
    if after is not None:
        stmt = stmt.where(Invoice.id > after)
    return list((await session.execute(stmt.order_by(Invoice.id).limit(limit))).all())
