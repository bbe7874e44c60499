from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.cases.models import OPEN_SOURCE_KEY_PREDICATE, Case, OwnershipChange, StatusChange


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


async def open_case_for_key(session: AsyncSession, *, source_key: str) -> Case | None:
    stmt = select(Case).where(Case.source_key == source_key, Case.status != "closed")
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
