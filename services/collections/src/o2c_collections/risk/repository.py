"""Risk queries: the settled history a model is trained on, the per-customer history figures and open items a
prediction needs (set-based: a few statements whatever the number of customers), and the stored models."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Integer, Row, String, any_, bindparam, case, cast, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.disputes.models import Dispute
from o2c_collections.receivables.models import OpenItem, OpenItemStatus
from o2c_collections.risk.models import RiskModel

DISPUTED = exists().where(Dispute.invoice_id == OpenItem.invoice_id)


def _customers(ids: Sequence[str]) -> Any:
    return OpenItem.customer_id == any_(bindparam(None, list(ids), type_=ARRAY(String(64))))


def _settled_by(as_of: date) -> Any:
    return (OpenItem.status == OpenItemStatus.CLOSED, OpenItem.closed_on.is_not(None), OpenItem.closed_on < as_of)


async def settled(session: AsyncSession, *, as_of: date) -> Sequence[Any]:
    """Every invoice closed before ``as_of``: customer, dates, amount and whether it was disputed."""
    stmt = (select(OpenItem.customer_id, OpenItem.issue_date, OpenItem.due_date, OpenItem.closed_on,
                   OpenItem.original_amount, DISPUTED.label("disputed"))
            .where(*_settled_by(as_of)))
    return (await session.execute(stmt)).all()


async def histories(session: AsyncSession, *, customer_ids: Sequence[str], as_of: date) -> Sequence[Row[Any]]:
    """Per customer: invoices closed before ``as_of``, how many late, their days late and amounts summed."""
    days_late = func.greatest(cast(OpenItem.closed_on - OpenItem.due_date, Integer), 0)
    stmt = (select(OpenItem.customer_id, func.count().label("settled"),
                   func.sum(case((OpenItem.closed_on > OpenItem.due_date, 1), else_=0)).label("late"),
                   func.sum(days_late).label("days_late"), func.sum(OpenItem.original_amount).label("amount"))
            .where(_customers(customer_ids), *_settled_by(as_of)).group_by(OpenItem.customer_id))
    return (await session.execute(stmt)).all()


def _open_items() -> Any:
    return select(OpenItem.invoice_id, OpenItem.invoice_number, OpenItem.customer_id, OpenItem.owning_team,
                  OpenItem.issue_date, OpenItem.due_date, OpenItem.original_amount,
                  (OpenItem.disputed_amount > 0).label("disputed_now"), DISPUTED.label("disputed"),
                  func.count().over(partition_by=OpenItem.customer_id).label("open_items")
                  ).where(OpenItem.status == OpenItemStatus.OPEN)


async def open_items(session: AsyncSession, *, customer_ids: Sequence[str]) -> Sequence[Row[Any]]:
    """The customers' open items, each with the count of its customer's open items."""
    return (await session.execute(_open_items().where(_customers(customer_ids)))).all()


async def customer_of(session: AsyncSession, *, invoice_id: uuid.UUID) -> Any:
    stmt = select(OpenItem.customer_id, OpenItem.status, OpenItem.owning_team).where(OpenItem.invoice_id == invoice_id)
    return (await session.execute(stmt)).one_or_none()


async def latest(session: AsyncSession) -> RiskModel | None:
    stmt = select(RiskModel).order_by(RiskModel.trained_at.desc(), RiskModel.id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, model: RiskModel) -> RiskModel:
    session.add(model)
    await session.flush()
    return model
