"""What needs action: the work queues by owner (the invoice's preparer) and team, with their counts. Vendor
agents see only their own team's invoices."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.workqueues import repository
from o2c_invoicing.workqueues.schemas import QUEUES, QueueCount, QueueSummary, WorkItem, WorkQueue


def _item(invoice: Invoice, *, now: datetime) -> WorkItem:
    item = WorkItem.model_validate({**{k: getattr(invoice, k) for k in WorkItem.model_fields
                                       if hasattr(invoice, k)}, "owner": invoice.created_by})
    item.days_in_status = (now - invoice.status_since).days
    item.days_to_due = (invoice.due_date - now.date()).days if invoice.due_date else None
    return item


def _due_by(now: datetime, settings: InvoicingSettings) -> date:
    return now.date() + timedelta(days=settings.due_soon_days)


async def summary(tx: Tx, *, settings: InvoicingSettings, owner: str | None, team: str | None) -> QueueSummary:
    counted = await repository.counts(tx.session, queues=QUEUES, due_by=_due_by(tx.now(), settings), owner=owner,
                                      team=team)
    return QueueSummary(owner=owner, team=team, queues=[QueueCount(queue=q, count=counted[q]) for q in QUEUES])


async def queue_page(tx: Tx, *, queue: WorkQueue, page: PageRequest, settings: InvoicingSettings,
                     owner: str | None, team: str | None) -> Page[WorkItem]:
    now = tx.now()
    return await repository.queue_page(tx.session, queue=queue, page=page, due_by=_due_by(now, settings),
                                       owner=owner, team=team, item=lambda i: _item(i, now=now))
