from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.auth import Principal
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_escalation.cases.models import OPEN_SOURCE_KEY_PREDICATE, Case, OwnershipChange, StatusChange
from o2c_escalation.cases.schemas import CaseRead
from o2c_escalation.permissions import manages_cases
from o2c_escalation.sla.models import SlaTimer, TimerStatus


async def add(session: AsyncSession, case: Case) -> Case:
    session.add(case)
    await session.flush()
    await session.refresh(case, ["seq", "opened_at"])
    return case


async def add_if_no_open_case(session: AsyncSession, values: dict[str, object]) -> Case | None:
    """Insert unless a not-closed case has the same source key (the partial unique index decides, so two
    concurrent duplicates cannot both win); None when one exists."""
    stmt = (insert(Case).values(**values)
            .on_conflict_do_nothing(index_elements=[Case.source_key],
                                    index_where=text(OPEN_SOURCE_KEY_PREDICATE))
            .returning(Case.id))
    case_id = (await session.execute(stmt)).scalar_one_or_none()
    if case_id is None:
        return None
    return await get(session, case_id=case_id)


async def get(session: AsyncSession, *, case_id: uuid.UUID, for_update: bool = False) -> Case | None:
    return await session.get(Case, case_id, with_for_update=for_update, populate_existing=for_update)


async def not_closed_by_source_key(session: AsyncSession, *, source_key: str) -> Case | None:
    """The case a source key holds until it is closed (one at most), locked."""
    stmt = (select(Case).where(Case.source_key == source_key, text(OPEN_SOURCE_KEY_PREDICATE))
            .with_for_update().execution_options(populate_existing=True))
    return (await session.scalars(stmt)).first()


async def add_history(session: AsyncSession, *rows: StatusChange | OwnershipChange) -> None:
    session.add_all(rows)
    await session.flush()


async def status_history(session: AsyncSession, *, case_id: uuid.UUID) -> list[StatusChange]:
    stmt = select(StatusChange).where(StatusChange.case_id == case_id).order_by(StatusChange.id)
    return list((await session.scalars(stmt)).all())


async def ownership_history(session: AsyncSession, *, case_id: uuid.UUID) -> list[OwnershipChange]:
    stmt = select(OwnershipChange).where(OwnershipChange.case_id == case_id).order_by(OwnershipChange.id)
    return list((await session.scalars(stmt)).all())


# --- lists ------------------------------------------------------------------------------------------------


def visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """The WHERE clause restricting lists to what the principal may see (None: everything)."""
    if manages_cases(principal):
        return None
    mine = Case.requester == principal.subject
    if principal.team:
        return or_(mine, Case.owning_team == principal.team, Case.l1_team == principal.team)
    return mine if principal.subject else false()


def scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    clause = visible_to(principal)
    return stmt if clause is None else stmt.where(clause)


async def page_by_opening(session: AsyncSession, stmt: Select[Any], *, page: PageRequest,
                          newest_first: bool = True) -> Page[CaseRead]:
    """A page of the cases ``stmt`` selects, by opening time."""
    return await keyset_page(session, stmt, page=page, order_by=(Case.opened_at, Case.id),
                             item=CaseRead.model_validate, descending=newest_first)


async def page_visible(session: AsyncSession, *, principal: Principal, page: PageRequest, status: str | None,
                       severity: str | None, team: str | None) -> Page[CaseRead]:
    stmt = where_equal(scoped(select(Case), principal),
                       {Case.status: status, Case.severity: severity, Case.owning_team: team})
    return await page_by_opening(session, stmt, page=page)


# --- SLA sweep ----------------------------------------------------------------------------------------------


async def claim_due_timers(session: AsyncSession, *, now: datetime, limit: int) -> list[tuple[SlaTimer, Case]]:
    """Running timers due at ``now``, oldest first, each locked with its case (``FOR UPDATE SKIP LOCKED``):
    two sweepers never claim one timer, and a case being changed by a request is left for the next sweep."""
    stmt = (select(SlaTimer, Case).join(Case, Case.id == SlaTimer.case_id)
            .where(SlaTimer.status == TimerStatus.RUNNING, SlaTimer.due_at <= now)
            .order_by(SlaTimer.due_at, SlaTimer.id).limit(limit)
            .with_for_update(skip_locked=True))
    return [(timer, case) for timer, case in (await session.execute(stmt)).all()]
