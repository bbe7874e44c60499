"""Queries of the work queues and of the stall sweep (the invoices table, filtered; no joins but one)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.entities import keyset_page
from o2c_common.http import Page, PageRequest
from o2c_invoicing.invoices.models import Invoice, InvoiceSource
from o2c_invoicing.invoices.states import AWAITING_PORTAL_APPROVAL, STALLABLE, InvoiceStatus
from o2c_invoicing.submissions.models import Submission
from o2c_invoicing.workqueues.schemas import WorkQueue

R = TypeVar("R")


def queue_condition(queue: WorkQueue, *, due_by: date) -> ColumnElement[bool]:
    """Which invoices are in ``queue`` (see :class:`WorkQueue`)."""
    if queue is WorkQueue.AWAITING_APPROVAL:
        return Invoice.status == InvoiceStatus.PENDING_APPROVAL
    if queue is WorkQueue.REJECTED_AWAITING_CORRECTION:
        return Invoice.status == InvoiceStatus.PORTAL_REJECTED
    if queue is WorkQueue.STALLED:
        return and_(Invoice.stalled_notified_at.is_not(None), Invoice.status.in_(STALLABLE))
    if queue is WorkQueue.DUE_SOON_WITHOUT_PORTAL_APPROVAL:
        return and_(Invoice.status.in_(AWAITING_PORTAL_APPROVAL), Invoice.source != InvoiceSource.IMPORT,
                    Invoice.due_date.is_not(None), Invoice.due_date <= due_by)
    raise ValueError(queue)


def _scoped(stmt: Select[Any], *, owner: str | None, team: str | None) -> Select[Any]:
    if owner is not None:
        stmt = stmt.where(Invoice.created_by == owner)
    if team is not None:
        stmt = stmt.where(Invoice.owning_team == team)
    return stmt


def queue_query(queue: WorkQueue, *, due_by: date, owner: str | None, team: str | None) -> Select[Any]:
    return _scoped(select(Invoice).where(queue_condition(queue, due_by=due_by)), owner=owner, team=team)


def sort_key(queue: WorkQueue) -> tuple[Any, ...]:
    """NOT NULL sort columns of a queue, oldest (or soonest due) first, the id last."""
    if queue is WorkQueue.DUE_SOON_WITHOUT_PORTAL_APPROVAL:
        return (Invoice.due_date, Invoice.id)
    return (Invoice.status_since, Invoice.id)


async def queue_page(session: AsyncSession, *, queue: WorkQueue, page: PageRequest, due_by: date, owner: str | None,
                     team: str | None, item: Callable[[Invoice], R]) -> Page[R]:
    """One cursor page of a queue, in its order (see :func:`sort_key`)."""
    return await keyset_page(session, queue_query(queue, due_by=due_by, owner=owner, team=team), page=page,
                             order_by=sort_key(queue), item=item)


async def counts(session: AsyncSession, *, queues: tuple[WorkQueue, ...], due_by: date, owner: str | None,
                 team: str | None) -> dict[str, int]:
    """Every queue's size in one statement (``count(*) FILTER (WHERE …)``)."""
    columns = [func.count().filter(queue_condition(q, due_by=due_by)).label(q) for q in queues]
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
