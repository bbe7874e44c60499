"""SOPs and their versions, training per agent and version, and the flag raised when an agent works a process
whose current SOP version it has not completed."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from o2c_common.entities import keyset_page
from o2c_common.errors import Conflict, Forbidden, NotFound
from o2c_common.events.contracts.workforce import (
    SopCreated,
    SopVersionPublished,
    TrainingAssigned,
    TrainingCompleted,
    UntrainedWorkFlagged,
)
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_workforce.org import repository as org_repository
from o2c_workforce.org.models import Agent
from o2c_workforce.org.service import get_agent, invalid, scoped_team
from o2c_workforce.permissions import manages
from o2c_workforce.training import repository
from o2c_workforce.training.models import (
    Sop,
    SopVersion,
    TrainingAssignment,
    TrainingReason,
    TrainingStatus,
    UntrainedWorkFlag,
)
from o2c_workforce.training.schemas import (
    AssignmentCreate,
    AssignmentRead,
    FlagRead,
    SopCreate,
    SopRead,
    SopVersionCreate,
    SopVersionRead,
)


async def create_sop(tx: Tx, data: SopCreate) -> Sop:
    if await repository.sop_by_code(tx.session, data.code) is not None:
        raise Conflict(f"SOP {data.code!r} exists already")
    sop = await repository.add(tx.session, Sop(id=uuid.uuid4(), code=data.code, title=data.title,
                                               processes=[str(p) for p in data.processes]))
    await tx.audit("sop.created", entity_type="sop", entity_id=sop.id, after=data)
    await tx.emit(SopCreated(sop_id=sop.id, sop_code=sop.code, title=sop.title, processes=tuple(sop.processes),
                             created_at=tx.now()))
    return sop


async def publish(tx: Tx, *, code: str, data: SopVersionCreate) -> tuple[SopVersion, int]:
    """A new version of the SOP; every agent skilled in one of its processes is assigned its training."""
    sop = await _sop(tx, code, for_update=True)
    existing = await repository.versions_of(tx.session, [sop.id])
    if existing and data.effective_from < existing[-1].effective_from:
        raise invalid("/effective_from", f"version {existing[-1].number} is in force from "
                      f"{existing[-1].effective_from}: a new version cannot take effect before it")
    version = await repository.add(tx.session, SopVersion(
        id=uuid.uuid4(), sop_id=sop.id, number=len(existing) + 1, effective_from=data.effective_from,
        summary=data.summary, published_by=tx.actor.subject, published_at=tx.now()))
    due = data.effective_from + timedelta(days=data.training_due_days)
    agents = [a for p in sop.processes for a in await org_repository.agents(tx.session, skill=p)]
    unique = {a.id: a for a in agents if a.exit_date is None or a.exit_date > data.effective_from}
    for agent in unique.values():
        await _assign(tx, agent, sop, version, reason=TrainingReason.SOP_VERSION, due=due)
    await tx.audit("sop.version_published", entity_type="sop", entity_id=sop.id,
                   after=SopVersionRead.model_validate(version))
    await tx.emit(SopVersionPublished(sop_id=sop.id, sop_code=sop.code, version_id=version.id, number=version.number,
                                      processes=tuple(sop.processes), effective_from=version.effective_from,
                                      published_at=version.published_at))
    return version, len(unique)


async def list_sops(tx: Tx) -> list[SopRead]:
    sops = await repository.sops(tx.session)
    versions = await repository.versions_of(tx.session, [s.id for s in sops])
    return [SopRead(id=s.id, code=s.code, title=s.title, processes=s.processes,
                    versions=[SopVersionRead.model_validate(v) for v in versions if v.sop_id == s.id]) for s in sops]


async def assign(tx: Tx, data: AssignmentCreate) -> TrainingAssignment:
    agent = await get_agent(tx, data.agent_id)
    sop = await _sop(tx, data.sop_code)
    if data.version is None:
        in_force = await repository.current_versions(tx.session, process=sop.processes[0], on=tx.now().date())
        current = [v for s, v in in_force if s.id == sop.id]
        version = current[0] if current else None
    else:
        version = await repository.version(tx.session, sop.id, data.version)
    if version is None:
        raise invalid("/version", f"SOP {sop.code} has no such version in force")
    return await _assign(tx, agent, sop, version, reason=data.reason, due=data.due_date)


async def assign_for_defect(tx: Tx, agent: Agent, *, process: str, defect_code: str, sop_code: str | None) -> int:
    """Training needs from a review's defect: the agent retrains on the current version of the process's SOPs
    (or of ``sop_code``) unless such a training is already open. Returns the assignments made."""
    made = 0
    for sop, version in await repository.current_versions(tx.session, process=process, on=tx.now().date()):
        if sop_code is not None and sop.code != sop_code:
            continue
        if await repository.open_assignment(tx.session, agent_id=agent.id, version_id=version.id) is None:
            await _assign(tx, agent, sop, version, reason=TrainingReason.QUALITY_DEFECT, due=None,
                          defect_code=defect_code)
            made += 1
    return made


async def complete(tx: Tx, assignment_id: uuid.UUID) -> TrainingAssignment:
    row = await repository.assignment(tx.session, assignment_id)
    if row is None:
        raise NotFound(f"training assignment {assignment_id} does not exist")
    agent = await get_agent(tx, row.agent_id)
    if not manages(tx.actor) and agent.subject != tx.actor.subject:
        raise Forbidden("an agent records only its own training")
    if row.status == TrainingStatus.COMPLETED:
        return row
    before = AssignmentRead.model_validate(row)
    row.status, row.completed_at = TrainingStatus.COMPLETED, tx.now()
    await tx.session.flush()
    await repository.clear_flags(tx.session, agent_id=agent.id, version_id=row.sop_version_id, at=tx.now())
    sop, version = await repository.sop_of_version(tx.session, row.sop_version_id)
    await tx.audit("training.completed", entity_type="training_assignment", entity_id=row.id, before=before,
                   after=AssignmentRead.model_validate(row))
    await tx.emit(TrainingCompleted(assignment_id=row.id, agent_id=agent.id, team=agent.owning_team,
                                    sop_code=sop.code, sop_version=version.number, completed_at=tx.now()))
    return row


async def list_assignments(tx: Tx, *, page: PageRequest, team: str | None, agent_id: uuid.UUID | None,
                           status: TrainingStatus | None) -> Page[AssignmentRead]:
    stmt = repository.assignments_query(team=scoped_team(tx, team), agent_id=agent_id, status=status)
    return await keyset_page(tx.session, stmt, page=page, order_by=[TrainingAssignment.assigned_at,
                                                                    TrainingAssignment.id],
                             item=AssignmentRead.model_validate)


async def list_flags(tx: Tx, *, page: PageRequest, team: str | None, open_only: bool) -> Page[FlagRead]:
    stmt = repository.flags_query(team=scoped_team(tx, team), open_only=open_only)
    return await keyset_page(tx.session, stmt, page=page, order_by=[UntrainedWorkFlag.flagged_at, UntrainedWorkFlag.id],
                             item=FlagRead.model_validate)


async def check_trained(tx: Tx, agent: Agent, *, process: str, item_key: str, at: datetime) -> None:
    """Flag the agent when it worked ``process`` on ``at`` without having completed the SOP version in force."""
    in_force = await repository.current_versions(tx.session, process=process, on=at.date())
    if not in_force:
        return
    done = await repository.completed(tx.session, agent_id=agent.id, version_ids=[v.id for _, v in in_force])
    for sop, version in in_force:
        if version.id in done:
            continue
        flag_id = await repository.flag(tx.session, {
            "id": uuid.uuid4(), "agent_id": agent.id, "owning_team": agent.owning_team, "process": process,
            "sop_version_id": version.id, "first_item_key": item_key, "items": 1, "flagged_at": tx.now()})
        if flag_id is not None:
            await tx.audit("agent.untrained_work_flagged", entity_type="agent", entity_id=agent.id,
                           reason=f"worked {process} ({item_key}) without {sop.code} version {version.number}")
            await tx.emit(UntrainedWorkFlagged(flag_id=flag_id, agent_id=agent.id, team=agent.owning_team,
                                               process=process, sop_code=sop.code, sop_version=version.number,
                                               item_key=item_key, flagged_at=tx.now()))


async def _assign(tx: Tx, agent: Agent, sop: Sop, version: SopVersion, *, reason: TrainingReason, due: date | None,
                  defect_code: str | None = None) -> TrainingAssignment:
    row = await repository.add(tx.session, TrainingAssignment(
        id=uuid.uuid4(), agent_id=agent.id, owning_team=agent.owning_team, sop_version_id=version.id, reason=reason,
        defect_code=defect_code, due_date=due, status=TrainingStatus.ASSIGNED, assigned_by=tx.actor.subject,
        assigned_at=tx.now()))
    await tx.audit("training.assigned", entity_type="training_assignment", entity_id=row.id,
                   after=AssignmentRead.model_validate(row))
    await tx.emit(TrainingAssigned(assignment_id=row.id, agent_id=agent.id, team=agent.owning_team, sop_code=sop.code,
                                   sop_version=version.number, reason=reason.value, defect_code=defect_code,
                                   due_date=due, assigned_at=row.assigned_at))
    return row


async def _sop(tx: Tx, code: str, *, for_update: bool = False) -> Sop:
    sop = await repository.sop_by_code(tx.session, code, for_update=for_update)
    if sop is None:
        raise NotFound(f"SOP {code} does not exist")
    return sop
