"""What needs action: the work queues by owner (the invoice's preparer) and team, with their counts. Vendor
agents see only their own team's invoices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.workqueues import repository
from o2c_invoicing.workqueues.schemas import QUEUES, QueueCount, QueueName, QueueSummary, WorkItem


def _item(invoice: Invoice, *, now: datetime) -> WorkItem:
    item = WorkItem.model_validate({**{k: getattr(invoice, k) for k in WorkItem.model_fields
                                       if hasattr(invoice, k)}, "owner": invoice.created_by})
    item.days_in_status = (now - invoice.status_since).days
    item.days_to_due = (invoice.due_date - now.date()).days if invoice.due_date else None
    return item


async def summary(session: AsyncSession, *, settings: InvoicingSettings, owner: str | None,
                  team: str | None, now: datetime | None = None) -> QueueSummary:
    now = now or datetime.now(UTC)
    due_by = now.date() + timedelta(days=settings.due_soon_days)
    counted = await repository.counts(session, queues=QUEUES, due_by=due_by, owner=owner, team=team)
    return QueueSummary(owner=owner, team=team, queues=[QueueCount(queue=q, count=counted[q]) for q in QUEUES])


async def queue_page(session: AsyncSession, *, queue: QueueName, page: PageRequest, settings: InvoicingSettings,
                     owner: str | None, team: str | None, now: datetime | None = None) -> Page[WorkItem]:
    now = now or datetime.now(UTC)
    columns = repository.sort_key(queue)
    stmt = keyset_select(repository.queue_query(queue, due_by=now.date() + timedelta(days=settings.due_soon_days),
                                                owner=owner, team=team), page=page, order_by=columns)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda i: tuple(getattr(i, c.key) for c in columns),
                      item=lambda i: _item(i, now=now))
