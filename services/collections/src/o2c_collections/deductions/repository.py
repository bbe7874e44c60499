from __future__ import annotations

import uuid

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.deductions.models import Deduction, DeductionStatus
from o2c_collections.deductions.schemas import DeductionRead
from o2c_collections.disputes.models import Dispute, DisputeStatus
from o2c_collections.pages import newest_first
from o2c_common.db import audit_log_table
from o2c_common.http import Page, PageRequest


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[DeductionRead]:
    return await newest_first(session, Deduction, page=page, at=Deduction.opened_at, item=DeductionRead.model_validate,
                              filters={Deduction.owning_team: team, Deduction.status: status,
                                       Deduction.customer_id: customer_id})


async def payment_booker(session: AsyncSession, *, payment_id: uuid.UUID) -> str | None:
    """Who booked the payment (by hand, or the person who imported its bank file): its ``payment.received`` actor."""
    audit = audit_log_table
    return (await session.scalars(
        select(audit.c.actor).where(audit.c.entity_type == "payment", audit.c.entity_id == str(payment_id),
                                    audit.c.action == "payment.received").order_by(audit.c.id).limit(1))).first()


async def unresolved_of(session: AsyncSession, *, payment_id: uuid.UUID, invoice_id: uuid.UUID) -> list[Deduction]:
    """The payment's deductions on the invoice that still hold part of it: not resolved (open, or awaiting a
    decision), or resolved as disputed while their dispute is not."""
    open_dispute = exists().where(Dispute.id == Deduction.dispute_id, Dispute.status != DisputeStatus.RESOLVED)
    stmt = select(Deduction).where(
        Deduction.payment_id == payment_id, Deduction.invoice_id == invoice_id,
        or_(Deduction.status != DeductionStatus.RESOLVED, open_dispute)).order_by(Deduction.opened_at)
    return list((await session.scalars(stmt)).all())
