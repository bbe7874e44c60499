"""Disputes: opened by a collector, from a deduction, from a disputed portal rejection or by the history
import; resolved with an outcome, a root cause and corrective and preventive actions. While open, the
disputed amount is held out of dunning and cash matching (``open_items.disputed_amount``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.disputes import repository
from o2c_collections.disputes.models import Dispute
from o2c_collections.receivables.models import OpenItem
from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import UnprocessableEntity
from o2c_common.events.contracts.collections import DisputeOpened
from o2c_common.http import make_etag
from o2c_common.outbox import Outbox


def etag(dispute: Dispute) -> str:
    return make_etag(entity_id=dispute.id, version=dispute.version)


async def open_dispute(session: AsyncSession, *, outbox: Outbox, item: OpenItem, amount: Decimal, reason: str,
                       source: str, actor: str | Principal, opened_date: date, owner: str | None = None,
                       deduction_id: uuid.UUID | None = None, source_key: str | None = None,
                       dispute_id: uuid.UUID | None = None, already_held: bool = False) -> Dispute | None:
    """Opens a dispute on the locked ``item``; None when ``source_key`` was seen before (idempotent)."""
    if amount <= 0:
        raise UnprocessableEntity("a disputed amount must be positive")
    subject = actor.subject if isinstance(actor, Principal) else actor
    dispute = Dispute(id=dispute_id or uuid.uuid4(), invoice_id=item.invoice_id, invoice_number=item.invoice_number,
                      deduction_id=deduction_id, source_key=source_key, legal_entity=item.legal_entity,
                      customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
                      amount=amount, reason=reason, source=source, owner=owner or subject, opened_by=subject,
                      status="open", opened_date=opened_date, version=1, opened_at=datetime.now(UTC))
    if not await repository.insert_new(session, dispute):
        return None
    if not already_held:
        item.disputed_amount += amount
        item.version += 1
    await session.flush()
    stored = await repository.get(session, dispute_id=dispute.id)
    assert stored is not None
    await outbox.emit(session, DisputeOpened(
        dispute_id=stored.id, invoice_id=item.invoice_id, invoice_number=item.invoice_number,
        deduction_id=deduction_id, legal_entity=item.legal_entity, customer_id=item.customer_id,
        owning_team=item.owning_team, currency=item.currency, amount=amount, reason=reason,
        source=source, owner=stored.owner, opened_by=subject, opened_date=opened_date,
        opened_at=stored.opened_at))
    await record_audit(session, actor=actor, action="dispute.opened", entity_type="dispute", entity_id=stored.id,
                       after={"invoice": item.invoice_number, "amount": amount, "reason": reason, "source": source})
    return stored
