"""KPI-level SLAs: any KPI (DSO, CEI, auto-match rate, unapplied cash, backlog…) judged once per closed calendar
window, by a periodic step (``evaluate_closed_windows``).

For each active definition of a level metric, the window that closed last (day, ISO week, month or quarter,
UTC) is judged once per scope: the KPI is computed over the window (``o2c_kpi.kpis.service.compute``, point-in-time
KPIs at its last day) and compared with the target, once per currency for KPIs per currency. A miss opens a breach
(key: definition, scope[:currency], window; ``sla.breached``, dated at the window's last instant) through the
same bookkeeping as the rate SLAs; a window that meets the target recovers the breaches of earlier windows of that
scope still open (``sla.recovered``). ``sla_level_checks`` keeps every (definition, scope, window) judged, so a
rerun, a restart or a second replica judges nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from o2c_common.tx import Tx
from o2c_kpi.kpis import service as kpis
from o2c_kpi.kpis.schemas import Period, Scope
from o2c_kpi.sla import repository
from o2c_kpi.sla.calendar import window_bounds
from o2c_kpi.sla.evaluation import breach_key, meets, open_breach, recover
from o2c_kpi.sla.metrics import METRICS, MetricKind
from o2c_kpi.sla.models import ScopeType, SlaDefinition

LEVEL_METRICS = tuple(name for name, m in METRICS.items() if m.kind == MetricKind.LEVEL)
SCOPE_FIELDS = {ScopeType.TEAM: "team", ScopeType.LEGAL_ENTITY: "legal_entity", ScopeType.CUSTOMER: "customer_id"}
SCOPE_DIMENSIONS = {ScopeType.TEAM: "team", ScopeType.LEGAL_ENTITY: "legal_entity", ScopeType.CUSTOMER: "customer"}


@dataclass(frozen=True)
class LevelResult:
    judged: int = 0  # (definition, scope) windows judged
    breached: int = 0
    recovered: int = 0


def last_closed_window(now: datetime, window: str) -> tuple[datetime, datetime]:
    """The calendar window that ended last before ``now``: [start, end)."""
    start, _ = window_bounds(now, window)
    return window_bounds(start - timedelta(microseconds=1), window)


async def _scopes(tx: Tx, definition: SlaDefinition) -> list[tuple[str, str | None, Scope]]:
    """(scope key, scope value, KPI scope) of each scope the definition is judged in."""
    if definition.scope_type == ScopeType.GLOBAL:
        return [(ScopeType.GLOBAL.value, None, Scope())]
    scope_type = ScopeType(definition.scope_type)
    values = ([definition.scope_value] if definition.scope_value is not None
              else await kpis.scope_values(tx, dimension=SCOPE_DIMENSIONS[scope_type]))
    return [(f"{scope_type}:{v}", v, Scope(**{SCOPE_FIELDS[scope_type]: v})) for v in values]


async def evaluate_closed_windows(tx: Tx, *, now: datetime) -> LevelResult:
    """Judges the last closed window of every active level SLA in every scope not judged yet."""
    judged = breached = recovered = 0
    for definition in await repository.active_level_definitions(tx.session, metrics=LEVEL_METRICS):
        start, end = last_closed_window(now, definition.window)
        done = await repository.level_checked(tx.session, definition_id=definition.id, window_start=start)
        for scope_key, scope_value, scope in await _scopes(tx, definition):
            if scope_key in done:
                continue
            b, r, actual, met = await _judge(tx, definition=definition, scope_key=scope_key, scope_value=scope_value,
                                             scope=scope, start=start, end=end, now=now)
            if await repository.add_level_check(tx.session, {
                    "definition_id": definition.id, "scope_key": scope_key, "window_start": start, "window_end": end,
                    "actual": actual, "met": met, "checked_at": now}):
                judged, breached, recovered = judged + 1, breached + b, recovered + r
    return LevelResult(judged=judged, breached=breached, recovered=recovered)


async def _judge(tx: Tx, *, definition: SlaDefinition, scope_key: str, scope_value: str | None, scope: Scope,
                 start: datetime, end: datetime, now: datetime) -> tuple[int, int, Decimal | None, bool | None]:
    """(breaches opened, breaches recovered, the value if one, met: all values met, None without a value)."""
    last_day = (end - timedelta(days=1)).date()
    period = Period(start.date(), last_day, as_of=last_day)
    values = [v for v in await kpis.compute(tx, names=[definition.metric], period=period, scope=scope)
              if v.dimension is None and v.value is not None]
    opened = closed = 0
    for v in values:
        key_scope = f"{scope_key}:{v.currency}" if v.currency else scope_key
        assert v.value is not None
        if meets(v.value, definition.comparator, definition.target):
            for key in await repository.open_breach_keys(tx.session, definition_id=definition.id,
                                                         prefix=breach_key(definition.id, key_scope, "")):
                closed += await recover(tx, key=key, actual=v.value, recovered_at=now)
        else:
            opened += await open_breach(
                tx, definition=definition, key=breach_key(definition.id, key_scope, start.date().isoformat()),
                scope_value=scope_value, owning_team=scope_value if definition.scope_type == ScopeType.TEAM else None,
                window_start=start, window_end=end, actual=v.value, breached_at=end - timedelta(microseconds=1))
    if not values:
        return opened, closed, None, None
    return opened, closed, values[0].value if len(values) == 1 else None, opened == 0
