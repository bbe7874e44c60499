"""Queries of submissions: by invoice (id or number), by portal reference, and the ones due for a status poll."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from o2c_invoicing.invoices.models import Invoice, InvoiceStatusChange
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.submissions.models import POLLED_STATUSES, Submission


def stage(session: AsyncSession, submission: Submission) -> Submission:
    """Add the submission to the session: written by the next flush, with the invoice's status change (one UPDATE
    of the invoice instead of two)."""
    session.add(submission)
    return submission


async def add(session: AsyncSession, submission: Submission) -> Submission:
    session.add(submission)
    await session.flush()
    return submission


async def for_invoice(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[Submission]:
    stmt = select(Submission).where(Submission.invoice_id == invoice_id).order_by(Submission.attempt)
    return list((await session.scalars(stmt)).all())


async def attempt(session: AsyncSession, *, invoice_id: uuid.UUID, attempt: int) -> Submission | None:
    stmt = select(Submission).where(Submission.invoice_id == invoice_id, Submission.attempt == attempt)
    return (await session.scalars(stmt)).one_or_none()


def _of_portal(portal: str | None, others: Collection[str]) -> ColumnElement[bool]:
    """Submissions sent to ``portal``; with None, those sent to no portal named in ``others`` (the portals that
    sign with a secret of their own)."""
    if portal is not None:
        return Submission.portal == portal
    if not others:
        return true()
    return or_(Submission.portal.is_(None), Submission.portal.not_in(list(others)))


async def by_reference(session: AsyncSession, *, reference: str, portal: str | None,
                       others: Collection[str] = ()) -> Submission | None:
    """The latest submission the portal knows by ``reference`` (scoped with :func:`_of_portal`: a reference one
    portal gave cannot reach another portal's submission)."""
    stmt = select(Submission).where(Submission.portal_reference == reference, _of_portal(portal, others))\
        .order_by(Submission.submitted_at.desc()).limit(1)
    return (await session.scalars(stmt)).one_or_none()


async def latest_for_invoice_number(session: AsyncSession, *, invoice_number: str, portal: str | None,
                                    others: Collection[str] = ()) -> Submission | None:
    """The latest attempt of the invoice numbered ``invoice_number`` (a standard status message names the invoice
    by its number, not by the portal's reference), if it went to the portal (see :func:`_of_portal`)."""
    latest = (select(Submission).join(Invoice, Invoice.id == Submission.invoice_id)
              .where(Invoice.number == invoice_number).order_by(Submission.attempt.desc()).limit(1).subquery())
    stmt = select(Submission).join(latest, latest.c.id == Submission.id).where(_of_portal(portal, others))
    return (await session.scalars(stmt)).one_or_none()


def savepoint(session: AsyncSession) -> AsyncSessionTransaction:
    """A savepoint: one portal's answer is applied (or rolled back) on its own within a polling pass."""
    return session.begin_nested()


async def last_rejection(session: AsyncSession, *, submission_id: uuid.UUID) -> InvoiceStatusChange | None:
    stmt = select(InvoiceStatusChange).where(InvoiceStatusChange.submission_id == submission_id,
                                             InvoiceStatusChange.to_status == InvoiceStatus.PORTAL_REJECTED)\
        .order_by(InvoiceStatusChange.id.desc()).limit(1)
    return (await session.scalars(stmt)).one_or_none()


async def due_for_poll(session: AsyncSession, *, before: datetime, limit: int) -> list[Submission]:
    """Claims (``FOR UPDATE SKIP LOCKED``) polled submissions still open at the portal, oldest poll first."""
    stmt = select(Submission).where(
        Submission.polls.is_(True), Submission.portal_reference.is_not(None),
        Submission.status.in_(POLLED_STATUSES),
        or_(Submission.last_polled_at.is_(None), Submission.last_polled_at < before),
    ).order_by(Submission.last_polled_at.asc().nulls_first()).limit(limit).with_for_update(skip_locked=True)
    return list((await session.scalars(stmt)).all())
