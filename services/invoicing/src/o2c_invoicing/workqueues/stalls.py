"""Stalled-invoice detection: an invoice waiting in a stallable status (issued, at the portal, rejected…) with
no status change for ``stalled_after_days`` is marked stalled once, gets a history row and an audit entry and
emits ``invoice.stalled``. Any status change clears the mark (``invoices.lifecycle.move``), so a new stall
after it is reported again. Rows are claimed with ``FOR UPDATE SKIP LOCKED``: any number of replicas may
sweep; a sweep's marks, history, audit and events commit together."""

from __future__ import annotations

from datetime import datetime, timedelta

from o2c_common.events.contracts.invoicing import InvoiceStalled
from o2c_common.tx import Transactions, Tx
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import repository as invoices
from o2c_invoicing.workqueues import repository

ACTOR = "system:stall-detector"


async def mark_stalled(tx: Tx, *, settings: InvoicingSettings, now: datetime) -> int:
    """One batch in the caller's transaction; returns how many invoices were found stalled."""
    threshold = settings.stalled_after_days
    stalled = await repository.claim_stalled(tx.session, before=now - timedelta(days=threshold), now=now,
                                             limit=settings.stall_sweep_batch)
    if not stalled:
        return 0
    submissions = await repository.latest_submissions(tx.session, invoice_ids=[i.id for i in stalled])
    for invoice in stalled:
        days = (now - invoice.status_since).days
        await invoices.add_history(tx.session, invoice_id=invoice.id, from_status=invoice.status,
                                   to_status=invoice.status, actor=tx.actor.subject, at=now,
                                   submission_id=submissions.get(invoice.id), attempt=invoice.attempts or None,
                                   note=f"stalled: no status change for {days} days")
        await tx.audit("invoice.stalled", entity_type="invoice", entity_id=invoice.id,
                       after={"status": invoice.status, "days_without_change": days, "threshold_days": threshold})
        await tx.emit(InvoiceStalled(
            invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
            customer_id=invoice.customer_id, status=invoice.status, status_since=invoice.status_since,
            days_without_change=days, threshold_days=threshold, submission_id=submissions.get(invoice.id),
            due_date=invoice.due_date, currency=invoice.currency, amount=invoice.total_amount,
            owner=invoice.created_by, owning_team=invoice.owning_team, detected_at=now))
    return len(stalled)


async def sweep_once(transactions: Transactions, *, settings: InvoicingSettings, now: datetime | None = None) -> int:
    """The background step: one batch in its own transaction (the runner drains while batches are found)."""
    async with transactions.begin(ACTOR) as tx:
        return await mark_stalled(tx, settings=settings, now=now or tx.now())
