"""Queries of the work queues and of the stall sweep (the invoices table, filtered; no joins but one)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page
from o2c_common.http import Page, PageRequest
from o2c_invoicing.amendments.models import DecisionStatus, InvoiceAmendment
from o2c_invoicing.invoices.models import Invoice, InvoiceSource, InvoiceStatusChange, SubmissionFailure
from o2c_invoicing.invoices.states import AWAITING_PORTAL_APPROVAL, STALLABLE, InvoiceStatus, SettlementStatus
from o2c_invoicing.rebills.models import InvoiceRebill
from o2c_invoicing.submissions.models import Submission
from o2c_invoicing.workqueues.schemas import WorkQueue

R = TypeVar("R")
FAILED_BEFORE_SENDING = (InvoiceStatus.APPROVED, InvoiceStatus.ISSUED, InvoiceStatus.PORTAL_REJECTED)
UNSETTLED = (SettlementStatus.OPEN, SettlementStatus.PARTLY_SETTLED)


@dataclass(frozen=True)
class Horizon:
    """The dates the time-based queues compare with: due by (due soon), reported paid before (no cash)."""

    due_by: date
    paid_reported_before: datetime


def _latest_failure_kind() -> Any:
    """The kind of the invoice's latest failure since its last status change (NULL: none)."""
    return (select(SubmissionFailure.kind)
            .where(SubmissionFailure.invoice_id == Invoice.id, SubmissionFailure.at >= Invoice.status_since)
            .order_by(SubmissionFailure.id.desc()).limit(1).correlate(Invoice).scalar_subquery())


def _pending(model: type[InvoiceAmendment] | type[InvoiceRebill]) -> ColumnElement[bool]:
    return exists().where(model.invoice_id == Invoice.id, model.status == DecisionStatus.PENDING)


def queue_condition(queue: WorkQueue, *, horizon: Horizon) -> ColumnElement[bool]:
    """Which invoices are in ``queue`` (see :class:`WorkQueue`)."""
    due_by = horizon.due_by
    if queue is WorkQueue.SUBMISSION_REFUSED:
        return and_(Invoice.status.in_(FAILED_BEFORE_SENDING), _latest_failure_kind() == "portal_rules")
    if queue is WorkQueue.DELIVERY_FAILED:
        return and_(Invoice.status.in_(FAILED_BEFORE_SENDING),
                    _latest_failure_kind().in_(("delivery_failed", "email_failed")))
    if queue is WorkQueue.NOT_SUBMITTED:
        return and_(Invoice.status == InvoiceStatus.ISSUED, Invoice.source != InvoiceSource.IMPORT,
                    Invoice.settlement_status.in_(UNSETTLED), _latest_failure_kind().is_(None))
    if queue is WorkQueue.CUSTOMER_SAYS_PAID_NO_CASH:
        return and_(Invoice.status == InvoiceStatus.PAID_BY_CUSTOMER, Invoice.settlement_status.in_(UNSETTLED),
                    Invoice.customer_paid_reported_at < horizon.paid_reported_before)
    if queue is WorkQueue.AMENDMENT_AWAITING_APPROVAL:
        return _pending(InvoiceAmendment)
    if queue is WorkQueue.REBILL_AWAITING_APPROVAL:
        return _pending(InvoiceRebill)
    if queue is WorkQueue.AWAITING_APPROVAL:
        return Invoice.status == InvoiceStatus.PENDING_APPROVAL
    if queue is WorkQueue.REJECTED_AWAITING_CORRECTION:
        return Invoice.status == InvoiceStatus.PORTAL_REJECTED
    if queue is WorkQueue.STALLED:
        return and_(Invoice.stalled_notified_at.is_not(None), Invoice.status.in_(STALLABLE))
    if queue is WorkQueue.DUE_SOON_WITHOUT_PORTAL_APPROVAL:
        return and_(Invoice.status.in_(AWAITING_PORTAL_APPROVAL), Invoice.source != InvoiceSource.IMPORT,
                    Invoice.settlement_status.in_(UNSETTLED), Invoice.due_date.is_not(None),
                    Invoice.due_date <= due_by)
    raise ValueError(queue)


def _scoped(stmt: Select[Any], *, owner: str | None, team: str | None) -> Select[Any]:
    if owner is not None:
        stmt = stmt.where(Invoice.created_by == owner)
    if team is not None:
        stmt = stmt.where(Invoice.owning_team == team)
    return stmt


def queue_query(queue: WorkQueue, *, horizon: Horizon, owner: str | None, team: str | None) -> Select[Any]:
    return _scoped(select(Invoice).where(queue_condition(queue, horizon=horizon)), owner=owner, team=team)


def sort_key(queue: WorkQueue) -> tuple[Any, ...]:
    """NOT NULL sort columns of a queue, oldest (or soonest due) first, the id last."""
    if queue is WorkQueue.DUE_SOON_WITHOUT_PORTAL_APPROVAL:
        return (Invoice.due_date, Invoice.id)
    return (Invoice.status_since, Invoice.id)


async def queue_page(session: AsyncSession, *, queue: WorkQueue, page: PageRequest, horizon: Horizon,
                     owner: str | None, team: str | None, item: Callable[[Invoice], R]) -> Page[R]:
    """One cursor page of a queue, in its order (see :func:`sort_key`)."""
    return await keyset_page(session, queue_query(queue, horizon=horizon, owner=owner, team=team), page=page,
                             order_by=sort_key(queue), item=item)


async def counts(session: AsyncSession, *, queues: tuple[WorkQueue, ...], horizon: Horizon, owner: str | None,
                 team: str | None) -> dict[str, int]:
    """Every queue's size in one statement (``count(*) FILTER (WHERE …)``)."""
    columns = [func.count().filter(queue_condition(q, horizon=horizon)).label(q) for q in queues]
    stmt: Select[Any] = select(*columns).select_from(Invoice)  # type: ignore[assignment]
    row = (await session.execute(_scoped(stmt, owner=owner, team=team))).one()
    return {q: int(row._mapping[q]) for q in queues}


async def claim_stalled(session: AsyncSession, *, before: datetime, now: datetime,
                        limit: int) -> list[Invoice]:
    """Marks (``stalled_notified_at``) and returns up to ``limit`` invoices in a stallable status since before
    ``before`` that were not marked since their last status change; rows are claimed ``FOR UPDATE SKIP
    LOCKED``. A Core UPDATE, so the invoice's version (its ETag) does not change."""
    candidates = select(Invoice.id).where(
        Invoice.status.in_(STALLABLE), Invoice.status_since < before, Invoice.stalled_notified_at.is_(None),
        Invoice.source != InvoiceSource.IMPORT,
    ).order_by(Invoice.status_since).limit(limit).with_for_update(skip_locked=True).scalar_subquery()
    stmt = (update(Invoice).where(Invoice.id.in_(candidates)).values(stalled_notified_at=now)
            .returning(Invoice).execution_options(synchronize_session=False))
    return list((await session.scalars(stmt)).all())


async def latest_submissions(session: AsyncSession, *, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """invoice id → id of its latest submission attempt, for those submitted."""
    stmt = select(Submission.invoice_id, Submission.id).join(
        Invoice, and_(Invoice.id == Submission.invoice_id, Invoice.attempts == Submission.attempt),
    ).where(Submission.invoice_id.in_(invoice_ids))
    return {row[0]: row[1] for row in await session.execute(stmt)}


async def latest_failures(session: AsyncSession, *, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, SubmissionFailure]:
    stmt = select(SubmissionFailure).where(SubmissionFailure.invoice_id.in_(invoice_ids))\
        .order_by(SubmissionFailure.invoice_id, SubmissionFailure.id.desc())\
        .ext(distinct_on(SubmissionFailure.invoice_id))
    return {f.invoice_id: f for f in (await session.scalars(stmt)).all()}


async def latest_rejections(session: AsyncSession, *,
                            invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, InvoiceStatusChange]:
    stmt = select(InvoiceStatusChange).where(InvoiceStatusChange.invoice_id.in_(invoice_ids),
                                             InvoiceStatusChange.to_status == InvoiceStatus.PORTAL_REJECTED)\
        .order_by(InvoiceStatusChange.invoice_id, InvoiceStatusChange.id.desc())\
        .ext(distinct_on(InvoiceStatusChange.invoice_id))
    rows: list[Any] = list((await session.scalars(stmt)).all())
    return {r.invoice_id: r for r in rows}


async def pending_requests(session: AsyncSession, *, model: type[InvoiceAmendment] | type[InvoiceRebill],
                           invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    stmt = select(model).where(model.invoice_id.in_(invoice_ids), model.status == DecisionStatus.PENDING)\
        .order_by(model.invoice_id, model.requested_at.desc()).ext(distinct_on(model.invoice_id))
    rows: list[Any] = list((await session.scalars(stmt)).all())
    return {r.invoice_id: r for r in rows}
