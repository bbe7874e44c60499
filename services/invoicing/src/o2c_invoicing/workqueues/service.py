"""What needs action: the work queues by owner (the invoice's preparer) and team, with their counts, each item
with the reason it waits. Vendor agents see only their own team's invoices."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from o2c_common.http import Page, PageRequest
from o2c_common.text import money, or_dash
from o2c_common.tx import Tx
from o2c_invoicing.amendments.models import InvoiceAmendment
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.rebills.models import InvoiceRebill
from o2c_invoicing.workqueues import repository
from o2c_invoicing.workqueues.repository import Horizon
from o2c_invoicing.workqueues.schemas import QUEUES, QueueCount, QueueSummary, WorkItem, WorkQueue

Q = WorkQueue


def _item(invoice: Invoice, *, now: datetime) -> WorkItem:
    item = WorkItem.model_validate({**{k: getattr(invoice, k) for k in WorkItem.model_fields
                                       if hasattr(invoice, k)}, "owner": invoice.created_by})
    item.days_in_status = (now - invoice.status_since).days
    item.days_to_due = (invoice.due_date - now.date()).days if invoice.due_date else None
    return item


def horizon(now: datetime, settings: InvoicingSettings) -> Horizon:
    return Horizon(due_by=now.date() + timedelta(days=settings.due_soon_days),
                   paid_reported_before=now - timedelta(days=settings.customer_paid_no_cash_days))


async def summary(tx: Tx, *, settings: InvoicingSettings, owner: str | None, team: str | None) -> QueueSummary:
    counted = await repository.counts(tx.session, queues=QUEUES, horizon=horizon(tx.now(), settings), owner=owner,
                                      team=team)
    return QueueSummary(owner=owner, team=team, queues=[QueueCount(queue=q, count=counted[q]) for q in QUEUES])


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _simple_reason(queue: WorkQueue, item: WorkItem, settings: InvoicingSettings) -> str:
    if queue is Q.AWAITING_APPROVAL:
        return f"awaiting approval for {_days(item.days_in_status)}"
    if queue is Q.STALLED:
        return f"no status change for {_days(item.days_in_status)} ({item.status})"
    if queue is Q.DUE_SOON_WITHOUT_PORTAL_APPROVAL:
        when = f"overdue by {_days(-item.days_to_due)}" if item.days_to_due is not None and item.days_to_due < 0 \
            else f"due in {_days(item.days_to_due or 0)}"
        return f"{when} ({or_dash(item.due_date)}), not approved by the customer's portal ({item.status})"
    if queue is Q.NOT_SUBMITTED:
        return f"issued {_days(item.days_in_status)} ago, not submitted to the customer yet"
    if queue is Q.CUSTOMER_SAYS_PAID_NO_CASH:
        still_open = item.ledger_open_amount if item.ledger_open_amount is not None else item.total_amount
        return (f"customer's portal says paid {_days(item.days_in_status)} ago; no cash applied after "
                f"{_days(settings.customer_paid_no_cash_days)}, ledger open {money(still_open, item.currency)}")
    return str(queue)


async def _reasons(tx: Tx, queue: WorkQueue, items: list[WorkItem], settings: InvoicingSettings) -> None:
    ids = [i.id for i in items]
    found: dict[Any, Any] = {}
    if queue in (Q.SUBMISSION_REFUSED, Q.DELIVERY_FAILED, Q.AWAITING_APPROVAL):
        found = await repository.latest_failures(tx.session, invoice_ids=ids)
    elif queue is Q.REJECTED_AWAITING_CORRECTION:
        found = await repository.latest_rejections(tx.session, invoice_ids=ids)
    elif queue is Q.AMENDMENT_AWAITING_APPROVAL:
        found = await repository.pending_requests(tx.session, model=InvoiceAmendment, invoice_ids=ids)
    elif queue is Q.REBILL_AWAITING_APPROVAL:
        found = await repository.pending_requests(tx.session, model=InvoiceRebill, invoice_ids=ids)
    for item in items:
        row = found.get(item.id)
        if queue is Q.AWAITING_APPROVAL and (row is None or row.at < item.status_since):
            row = None  # a refusal before the invoice's last status change is not why it waits now
        if row is None:
            item.reason = _simple_reason(queue, item, settings)
        elif queue in (Q.SUBMISSION_REFUSED, Q.AWAITING_APPROVAL):
            item.reason, item.reason_detail = row.reason, "; ".join(row.violations) or None
        elif queue is Q.DELIVERY_FAILED:
            item.reason, item.reason_detail = f"not delivered ({row.kind}, attempt {row.attempt})", row.reason
        elif queue is Q.REJECTED_AWAITING_CORRECTION:
            item.reason = f"portal rejected: {or_dash(row.reason)}"
            item.reason_detail = " ".join(x for x in (row.portal_reason_code, row.note) if x) or None
        elif queue is Q.AMENDMENT_AWAITING_APPROVAL:
            fields = ", ".join(c["field"] for c in row.changes)
            item.reason, item.reason_detail = f"amendment of {fields} by {row.requested_by} awaits approval", row.reason
        else:
            item.reason = f"credit and rebill requested by {row.requested_by} awaits approval"
            item.reason_detail = row.reason


async def queue_page(tx: Tx, *, queue: WorkQueue, page: PageRequest, settings: InvoicingSettings,
                     owner: str | None, team: str | None) -> Page[WorkItem]:
    now = tx.now()
    result = await repository.queue_page(tx.session, queue=queue, page=page, horizon=horizon(now, settings),
                                         owner=owner, team=team, item=lambda i: _item(i, now=now))
    await _reasons(tx, queue, result.items, settings)
    return result
