from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import where_equal
from o2c_workforce.training.models import (
    Sop,
    SopVersion,
    TrainingAssignment,
    TrainingStatus,
    UntrainedWorkFlag,
)


async def add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def add_all(session: AsyncSession, rows: list[Any]) -> None:
    session.add_all(rows)
    await session.flush()


async def sop_by_code(session: AsyncSession, code: str, *, for_update: bool = False) -> Sop | None:
    stmt = select(Sop).where(Sop.code == code)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


async def sops(session: AsyncSession) -> list[Sop]:
    return list((await session.scalars(select(Sop).order_by(Sop.code))).all())


async def versions_of(session: AsyncSession, sop_ids: list[uuid.UUID]) -> list[SopVersion]:
    stmt = select(SopVersion).where(SopVersion.sop_id.in_(sop_ids)).order_by(SopVersion.sop_id, SopVersion.number)
    return list((await session.scalars(stmt)).all())


async def version(session: AsyncSession, sop_id: uuid.UUID, number: int) -> SopVersion | None:
    stmt = select(SopVersion).where(SopVersion.sop_id == sop_id, SopVersion.number == number)
    return (await session.scalars(stmt)).one_or_none()


async def current_versions(session: AsyncSession, *, process: str, on: date) -> list[tuple[Sop, SopVersion]]:
    """The version in force on ``on`` of every SOP covering ``process``."""
    stmt = (select(Sop, SopVersion).join(SopVersion, SopVersion.sop_id == Sop.id)
            .where(Sop.processes.contains([process]), SopVersion.effective_from <= on)
            .order_by(Sop.id, SopVersion.number.desc()).ext(distinct_on(Sop.id)))
    return [(sop, ver) for sop, ver in (await session.execute(stmt)).all()]


async def completed(session: AsyncSession, *, agent_id: uuid.UUID, version_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(TrainingAssignment.sop_version_id).where(
        TrainingAssignment.agent_id == agent_id, TrainingAssignment.sop_version_id.in_(version_ids),
        TrainingAssignment.status == TrainingStatus.COMPLETED)
    return set((await session.scalars(stmt)).all())


async def open_assignment(session: AsyncSession, *, agent_id: uuid.UUID,
                          version_id: uuid.UUID) -> TrainingAssignment | None:
    stmt = select(TrainingAssignment).where(
        TrainingAssignment.agent_id == agent_id, TrainingAssignment.sop_version_id == version_id,
        TrainingAssignment.status == TrainingStatus.ASSIGNED).limit(1)
    return (await session.scalars(stmt)).first()


async def assignment(session: AsyncSession, assignment_id: uuid.UUID) -> TrainingAssignment | None:
    stmt = select(TrainingAssignment).where(TrainingAssignment.id == assignment_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


def assignments_query(*, team: str | None, agent_id: uuid.UUID | None,
                      status: TrainingStatus | None) -> Select[tuple[TrainingAssignment]]:
    return where_equal(select(TrainingAssignment), {TrainingAssignment.owning_team: team,
                                                    TrainingAssignment.agent_id: agent_id,
                                                    TrainingAssignment.status: status})


async def flag(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert a flag, or count one more item on the open one; the new flag's id, None when it existed."""
    stmt = (insert(UntrainedWorkFlag).values(**values)
            .on_conflict_do_update(index_elements=["agent_id", "sop_version_id", "process"],
                                   set_={"items": UntrainedWorkFlag.items + 1})
            .returning(UntrainedWorkFlag.id, UntrainedWorkFlag.items))
    flag_id, items = (await session.execute(stmt)).one()
    return flag_id if items == 1 else None


async def clear_flags(session: AsyncSession, *, agent_id: uuid.UUID, version_id: uuid.UUID, at: Any) -> None:
    await session.execute(update(UntrainedWorkFlag)
                          .where(UntrainedWorkFlag.agent_id == agent_id, UntrainedWorkFlag.sop_version_id == version_id,
                                 UntrainedWorkFlag.cleared_at.is_(None))
                          .values(cleared_at=at))


def flags_query(*, team: str | None, open_only: bool) -> Select[tuple[UntrainedWorkFlag]]:
    stmt: Select[tuple[UntrainedWorkFlag]] = where_equal(select(UntrainedWorkFlag),
                                                         {UntrainedWorkFlag.owning_team: team})
    return stmt.where(UntrainedWorkFlag.cleared_at.is_(None)) if open_only else stmt


async def sop_of_version(session: AsyncSession, version_id: uuid.UUID) -> tuple[Sop, SopVersion]:
    stmt = select(Sop, SopVersion).join(SopVersion, SopVersion.sop_id == Sop.id).where(SopVersion.id == version_id)
    sop, ver = (await session.execute(stmt)).one()
    return sop, ver

