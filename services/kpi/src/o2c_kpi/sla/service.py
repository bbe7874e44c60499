"""SLA definitions (data, audited, If-Match on change), the breaches list and per-team attainment."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from o2c_common.auth import ensure_team_access, visible_team
from o2c_common.errors import Conflict, NotFound
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_kpi.clock import Clock
from o2c_kpi.permissions import team_in_view
from o2c_kpi.sla import repository
from o2c_kpi.sla.evaluation import breach_key, meets, percent
from o2c_kpi.sla.metrics import METRICS, WINDOWS, units_of
from o2c_kpi.sla.models import ScopeType, SlaDefinition
from o2c_kpi.sla.schemas import (
    SlaAttainment,
    SlaAttainmentRead,
    SlaBreachRead,
    SlaDefinitionCreate,
    SlaDefinitionRead,
    SlaDefinitionWrite,
    SlaMetricRead,
)


class SlaDefinitionNotFound(NotFound):
    type = "sla-definition-not-found"
    title = "SLA definition not found"


class SlaDefinitionExists(Conflict):
    type = "sla-definition-exists"
    title = "SLA definition exists"


def metrics() -> list[SlaMetricRead]:
    return [SlaMetricRead(name=m.name, kind=m.kind, description=m.description, units=list(units_of(m)),
                          windows=list(WINDOWS[m.kind])) for m in METRICS.values()]


def _visible(definition: SlaDefinition, team: str | None) -> bool:
    if team is None or definition.scope_type == ScopeType.GLOBAL:
        return True
    return definition.scope_type == ScopeType.TEAM and definition.scope_value in (None, team)


async def create_definition(tx: Tx, *, data: SlaDefinitionCreate, clock: Clock) -> SlaDefinition:
    if await repository.get_definition(tx.session, definition_id=data.id) is not None:
        raise SlaDefinitionExists(f"SLA definition {data.id} exists; change it with PUT and If-Match",
                                  extensions={"definition_id": data.id})
    now = clock()
    definition = SlaDefinition(**data.model_dump(), version=1, created_at=now, updated_at=now)
    await repository.add_definition(tx.session, definition)
    await tx.audit("sla_definition.created", entity_type="sla_definition", entity_id=data.id, after=data)
    return definition


async def get_definition(tx: Tx, *, definition_id: str) -> SlaDefinition:
    definition = await repository.get_definition(tx.session, definition_id=definition_id)
    if definition is None or not _visible(definition, visible_team(tx.actor)):
        raise SlaDefinitionNotFound(f"no SLA definition {definition_id}", extensions={"definition_id": definition_id})
    return definition


async def list_definitions(tx: Tx, *, page: PageRequest, metric: str | None,
                           active: bool | None) -> Page[SlaDefinitionRead]:
    return await repository.definitions_page(tx.session, page=page, metric=metric, active=active,
                                             team=visible_team(tx.actor), item=SlaDefinitionRead.model_validate)


async def lock(tx: Tx, definition_id: str) -> SlaDefinition:
    """The definition, locked for a change (its ETag is checked against If-Match after this)."""
    definition = await repository.get_definition(tx.session, definition_id=definition_id, for_update=True)
    if definition is None:
        raise SlaDefinitionNotFound(f"no SLA definition {definition_id}", extensions={"definition_id": definition_id})
    return definition


async def update_definition(tx: Tx, definition: SlaDefinition, *, data: SlaDefinitionWrite,
                            clock: Clock) -> SlaDefinition:
    """Replaces the (locked) definition. Windows already counted keep their counts; a new target judges them from
    the next outcome on. Deactivating stops its timers from firing (the sweeper cancels them)."""
    before = SlaDefinitionRead.model_validate(definition)
    values = data.model_dump()
    for key, value in values.items():
        setattr(definition, key, value)
    definition.version += 1
    definition.updated_at = clock()
    await tx.session.flush()
    await tx.audit("sla_definition.updated", entity_type="sla_definition", entity_id=definition.id, before=before,
                   after=values)
    return definition


async def delete_definition(tx: Tx, definition: SlaDefinition, *, clock: Clock) -> None:
    """Deletes the (locked) definition with its windows and cancels its armed timers; breaches already emitted
    stay listed."""
    definition_id = definition.id
    before = SlaDefinitionRead.model_validate(definition)
    await repository.cancel_timers_of_definition(tx.session, definition_id=definition_id, at=clock())
    await repository.delete_windows_of_definition(tx.session, definition_id=definition_id)
    await repository.delete_definition(tx.session, definition)
    await tx.audit("sla_definition.deleted", entity_type="sla_definition", entity_id=definition_id, before=before)


# --- breaches and attainment ---------------------------------------------------------------------------


async def list_breaches(tx: Tx, *, page: PageRequest, definition_id: str | None, metric: str | None,
                        team: str | None, status: str | None, severity: str | None, since: date | None,
                        until: date | None) -> Page[SlaBreachRead]:
    """Newest first. A vendor agent sees its team's breaches only."""
    return await repository.breaches_page(
        tx.session, page=page, definition_id=definition_id, metric=metric,
        team=team_in_view(tx.actor, team, what="breaches"), status=status,
        severity=severity, since=_start_of(since), until=_start_of(until), item=SlaBreachRead.model_validate)


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day is not None else None


async def attainment(tx: Tx, *, team: str, period: str, start: date, end: date) -> SlaAttainmentRead:
    """Per definition, what the team's breaches say: missed = the team's breaches in the period (open or recovered
    since: a window that dipped below its target, a timer that fired), met = the team's rate windows starting in
    the period that met their target and never breached (with enough outcomes) plus its timers closed in time in
    the period (and its KPI-level windows starting in the period that met their target). So a team with a breach
    is never at 100 %, and the breaches of the rows add up to the team's."""
    ensure_team_access(tx.actor, owning_team=team)
    since, until = _start_of(start), _start_of(end)
    assert since is not None and until is not None
    windows = await repository.team_windows(tx.session, team=team, start=since, end=until)
    timers_met = [*await repository.team_timers_met(tx.session, team=team, start=since, end=until),
                  *await repository.team_level_checks_met(tx.session, team=team, start=since, end=until)]
    missed = dict(await repository.team_breaches(tx.session, team=team, start=since, end=until))
    definitions = await repository.definitions_by_ids(
        tx.session, [w[0] for w in windows] + [t[0] for t in timers_met] + list(missed))
    keys = {w: breach_key(w[0], w[1], w[2].date().isoformat()) for w in windows}
    breached = await repository.breached_keys(tx.session, list(keys.values()))
    met: dict[str, int] = defaultdict(int)
    for window in windows:
        definition_id, _, _, met_count, total_count = window
        definition = definitions.get(definition_id)
        if definition is None or total_count < definition.min_sample or keys[window] in breached:
            continue
        if meets(percent(met_count, total_count), definition.comparator, definition.target):
            met[definition_id] += 1
    for definition_id, count in timers_met:
        met[definition_id] += count
    rows = []
    for d in sorted(definitions.values(), key=lambda d: d.id):
        total = met[d.id] + missed.get(d.id, 0)
        rows.append(SlaAttainment(
            definition_id=d.id, name=d.name, metric=d.metric, target=d.target, comparator=d.comparator, unit=d.unit,
            met=met[d.id], total=total, breaches=missed.get(d.id, 0),
            attainment_percent=percent(met[d.id], total) if total else None))
    return SlaAttainmentRead(team=team, period=period, start=start, end=end - timedelta(days=1), definitions=rows)
