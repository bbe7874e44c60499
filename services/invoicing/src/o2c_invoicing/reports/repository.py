"""The cadence report's one query: the week's invoices with their customer's channel, grouped in SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.reports.schemas import AGE_BUCKETS, OLDEST_BUCKET


async def cadence_rows(session: AsyncSession, *, start: date, end: date, starts_at: datetime, ends_at: datetime,
                       as_of: date, team: str | None, owner: str | None) -> list[Any]:
    """(customer_id, customer_name, owner, owning_team, channel, status, age_bucket, currency, count, amount)."""
    born = func.coalesce(Invoice.issue_date, cast(Invoice.created_at, Date))
    age = literal(as_of, Date) - born
    bucket = case(*((age <= limit, label) for limit, label in AGE_BUCKETS), else_=OLDEST_BUCKET).label("age_bucket")
    channel = func.coalesce(BillingProfile.channel, "none").label("channel")
    keys = (Invoice.customer_id, BillingProfile.name, Invoice.created_by, Invoice.owning_team, channel,
            Invoice.status, bucket, Invoice.currency)
    stmt = select(*keys, func.count().label("count"), func.sum(Invoice.total_amount).label("amount")).select_from(
        Invoice).outerjoin(BillingProfile, BillingProfile.customer_id == Invoice.customer_id).where(or_(
            and_(Invoice.issue_date >= start, Invoice.issue_date <= end),
            and_(Invoice.issue_date.is_(None), Invoice.created_at >= starts_at, Invoice.created_at < ends_at)))
    if team is not None:
        stmt = stmt.where(Invoice.owning_team == team)
    if owner is not None:
        stmt = stmt.where(Invoice.created_by == owner)
    stmt = stmt.group_by(*keys).order_by(*keys)
    return list((await session.execute(stmt)).all())
