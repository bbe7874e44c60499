"""Deductions: short payments with a reason code, an owner and an age, resolved as recovered, credited
(credit_note.requested to invoicing), written off (ar_supervisor approval within the limit) or disputed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.deductions.models import Deduction
from o2c_collections.receivables.models import OpenItem
from o2c_common.audit import record_audit
from o2c_common.events.contracts.collections import DeductionOpened
from o2c_common.outbox import Outbox

SYSTEM = "system:cash-application"


async def open_deduction(session: AsyncSession, *, outbox: Outbox, item: OpenItem, payment_id: uuid.UUID | None,
                         amount: Decimal, reason: str, remittance_reason: str | None, opened_date: date,
                         owner: str | None = None) -> Deduction:
    """Records the shortfall; the amount stays on the (locked) item but leaves dunning while open."""
    deduction = Deduction(id=uuid.uuid4(), payment_id=payment_id, invoice_id=item.invoice_id,
                          invoice_number=item.invoice_number, legal_entity=item.legal_entity,
                          customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
                          amount=amount, reason=reason, remittance_reason=remittance_reason, owner=owner,
                          status="open", opened_date=opened_date, version=1)
    session.add(deduction)
    item.disputed_amount += amount
    await session.flush()
    await outbox.emit(session, DeductionOpened(
        deduction_id=deduction.id, payment_id=payment_id, invoice_id=item.invoice_id,
        invoice_number=item.invoice_number, legal_entity=item.legal_entity, customer_id=item.customer_id,
        owning_team=item.owning_team, currency=item.currency, amount=amount, reason=reason,
        remittance_reason=remittance_reason, owner=owner, opened_date=opened_date, opened_at=datetime.now(UTC)))
    await record_audit(session, actor=SYSTEM, action="deduction.opened", entity_type="deduction",
                       entity_id=deduction.id, after={"invoice": item.invoice_number, "amount": amount,
                                                      "reason": reason})
    return deduction
