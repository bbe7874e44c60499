"""Collector worklists: each account (customer and currency) with an overdue amount, ranked by
overdue amount x days past due (of its oldest overdue item) x risk weight (1 + 0.5 per broken promise).
Amounts held by disputes and deductions are not collectable and not counted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.worklists import repository
from o2c_collections.worklists.schemas import BUCKET_DAYS, WorklistRow, bucket_of
from o2c_common.auth import Principal, ensure_team_access, visible_team
from o2c_common.http import Page, PageRequest, build_page, keyset_select


def _team_for(principal: Principal, *, team: str | None) -> str | None:
    """Vendor agents see their own team only: no filter means theirs, another team is refused."""
    own = visible_team(principal)
    if own is None:
        return team
    if team is not None:
        ensure_team_access(principal, owning_team=team)
    return own


async def worklist(session: AsyncSession, *, principal: Principal, page: PageRequest, as_of: date,
                   team: str | None = None, collector: str | None = None, entity: str | None = None,
                   currency: str | None = None, min_overdue: Decimal | None = None,
                   bucket: str | None = None) -> Page[WorklistRow]:
    low, high = BUCKET_DAYS[bucket] if bucket else (None, None)
    stmt = repository.ranked(as_of=as_of, team=_team_for(principal, team=team), collector=collector,
                             entity=entity, currency=currency, min_overdue=min_overdue, min_days=low, max_days=high)
    stmt = keyset_select(stmt, page=page, order_by=repository.order_columns(stmt), descending=True)
    rows = (await session.execute(stmt)).all()

    def item(row: Any) -> WorklistRow:
        return WorklistRow(customer_id=row.customer_id, name=row.name, collector=row.collector,
                           owning_team=row.owning_team, currency=row.currency, overdue_amount=row.overdue_amount,
                           overdue_items=row.overdue_items, max_days_past_due=row.max_days_past_due,
                           bucket=bucket_of(row.max_days_past_due), broken_promises=row.broken_promises,
                           risk_weight=row.risk_weight, priority=row.priority, as_of=as_of)

    return build_page(rows, page=page, key=lambda r: (str(r.priority), r.customer_id, r.currency), item=item)
