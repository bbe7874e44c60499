"""Stalled-invoice detection: an invoice waiting in a stallable status (issued, at the portal, rejected…) with
no status change for ``stalled_after_days`` is marked stalled once, gets a history row and an audit entry and
emits ``invoice.stalled``. Any status change clears the mark (``lifecycle.service.move``), so a new stall
after it is reported again. Rows are claimed with ``FOR UPDATE SKIP LOCKED``: any number of replicas may
sweep; a sweep's marks, history, audit and events commit together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.db import Database
from o2c_common.events.contracts.invoicing import InvoiceStalled
from o2c_common.outbox import Outbox
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import repository as invoices
from o2c_invoicing.workqueues import repository

ACTOR = "system:stall-detector"


async def mark_stalled(session: AsyncSession, *, outbox: Outbox, settings: InvoicingSettings,
                       now: datetime) -> int:
    """One batch in the caller's transaction; returns how many invoices were found stalled."""
    threshold = settings.stalled_after_days
    stalled = await repository.claim_stalled(session, before=now - timedelta(days=threshold), now=now,
                                             limit=settings.stall_sweep_batch)
    if not stalled:
        return 0
    submissions = await repository.latest_submissions(session, invoice_ids=[i.id for i in stalled])
    for invoice in stalled:
        days = (now - invoice.status_since).days
        await invoices.add_history(session, invoice_id=invoice.id, from_status=invoice.status,
                                   to_status=invoice.status, actor=ACTOR, at=now,
                                   submission_id=submissions.get(invoice.id), attempt=invoice.attempts or None,
                                   note=f"stalled: no status change for {days} days")
        await record_audit(session, actor=ACTOR, action="invoice.stalled", entity_type="invoice",
                           entity_id=invoice.id, after={"status": invoice.status, "days_without_change": days,
                                                        "threshold_days": threshold})
        await outbox.emit(session, InvoiceStalled(
            invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
            customer_id=invoice.customer_id, status=invoice.status, status_since=invoice.status_since,
            days_without_change=days, threshold_days=threshold, submission_id=submissions.get(invoice.id),
            due_date=invoice.due_date, currency=invoice.currency, amount=invoice.total_amount,
            owner=invoice.created_by, owning_team=invoice.owning_team, detected_at=now))
    return len(stalled)


async def sweep_once(db: Database, *, outbox: Outbox, settings: InvoicingSettings,
                     now: datetime | None = None) -> int:
    """The background step: one batch in its own transaction (the runner drains while batches are found)."""
    async with db.unit_of_work() as session:
        return await mark_stalled(session, outbox=outbox, settings=settings, now=now or datetime.now(UTC))
