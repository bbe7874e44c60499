"""Rate SLAs judged as their events arrive, and the breach bookkeeping shared with the timers.

Every outcome is stored once (its event id is the key); it is counted into the window of each active
definition of its metric whose scope it falls in. A window with at least ``min_sample`` outcomes that misses
its target is a breach; the breach row (key: definition, scope, window) is inserted ``ON CONFLICT DO
NOTHING`` and ``sla.breached`` is emitted only when the insert took, in the same transaction: a replay, a
redelivery or a second consumer finds the row and emits nothing. A breached window meeting its target again
is recovered, once (``sla.recovered``); a window dipping again after that stays recovered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from o2c_common.events.contracts.kpi import SlaBreached, SlaRecovered
from o2c_common.tx import Tx
from o2c_kpi.sla import repository
from o2c_kpi.sla.calendar import window_bounds
from o2c_kpi.sla.models import BreachStatus, Comparator, ScopeType, SlaDefinition, SlaWindow
from o2c_kpi.sla.schemas import plain

BREACH_NAMESPACE = uuid.UUID("5d6f3b0e-8c1a-4f49-9d3e-2b7a61c0e4d2")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Scopes:
    """Where an event belongs: the scopes an SLA can be defined over."""

    owning_team: str | None = None
    legal_entity: str | None = None
    customer_id: str | None = None

    def value(self, scope_type: str) -> str | None:
        return {ScopeType.TEAM: self.owning_team, ScopeType.LEGAL_ENTITY: self.legal_entity,
                ScopeType.CUSTOMER: self.customer_id}.get(ScopeType(scope_type))


def scope_of(definition: SlaDefinition, scopes: Scopes) -> tuple[str, str | None] | None:
    """(scope key, scope value) of ``definition`` an event with ``scopes`` counts in; None if none."""
    if definition.scope_type == ScopeType.GLOBAL:
        return ScopeType.GLOBAL.value, None
    value = scopes.value(definition.scope_type)
    if value is None or (definition.scope_value is not None and definition.scope_value != value):
        return None
    return f"{definition.scope_type}:{value}", value


def meets(actual: Decimal, comparator: str, target: Decimal) -> bool:
    return {Comparator.LT: actual < target, Comparator.LE: actual <= target, Comparator.GT: actual > target,
            Comparator.GE: actual >= target}[Comparator(comparator)]


def percent(met: int, total: int) -> Decimal:
    return (Decimal(met) * 100 / Decimal(total)).quantize(_CENT, rounding=ROUND_HALF_UP)


def breach_key(definition_id: str, scope_key: str, window: str) -> str:
    return f"{definition_id}|{scope_key}|{window}"


async def record_outcome(tx: Tx, *, metric: str, event_id: uuid.UUID,
                         occurred_at: datetime, met: bool, scopes: Scopes) -> None:
    """Counts one outcome of a rate metric and judges every window it changed."""
    if not await repository.add_outcome(tx.session, {
            "event_id": event_id, "metric": metric, "occurred_at": occurred_at, "met": met,
            "owning_team": scopes.owning_team, "legal_entity": scopes.legal_entity,
            "customer_id": scopes.customer_id}):
        return
    for definition in await repository.active_definitions(tx.session, metric=metric):
        scope = scope_of(definition, scopes)
        if scope is None:
            continue
        start, end = window_bounds(occurred_at, definition.window)
        window = await repository.count_window(
            tx.session, definition_id=definition.id, scope_key=scope[0], scope_type=definition.scope_type,
            scope_value=scope[1], metric=metric, start=start, end=end, met=met)
        await _judge(tx, definition=definition, window=window, at=occurred_at)


async def _judge(tx: Tx, *, definition: SlaDefinition, window: SlaWindow,
                 at: datetime) -> None:
    if window.total_count < definition.min_sample:
        return
    actual = percent(window.met_count, window.total_count)
    key = breach_key(definition.id, window.scope_key, window.window_start.date().isoformat())
    if not meets(actual, definition.comparator, definition.target):
        await open_breach(tx, definition=definition, key=key, scope_value=window.scope_value,
                          owning_team=window.scope_value if definition.scope_type == ScopeType.TEAM else None,
                          window_start=window.window_start, window_end=window.window_end, actual=actual,
                          breached_at=at)
    else:
        await recover(tx, key=key, actual=actual, recovered_at=at)


async def open_breach(tx: Tx, *, definition: SlaDefinition, key: str,
                      scope_value: str | None, owning_team: str | None, window_start: datetime,
                      window_end: datetime, actual: Decimal | None, breached_at: datetime,
                      subject: tuple[str, str] | None = None) -> bool:
    """Stores the breach and emits ``sla.breached`` if its key is new; False when it was known."""
    values: dict[str, Any] = {
        "id": uuid.uuid5(BREACH_NAMESPACE, key), "breach_key": key, "definition_id": definition.id,
        "sla_name": definition.name, "metric": definition.metric, "unit": definition.unit,
        "comparator": definition.comparator, "target": definition.target, "severity": definition.severity,
        "scope_type": definition.scope_type, "scope_value": scope_value, "owning_team": owning_team,
        "subject_type": subject[0] if subject else None, "subject_id": subject[1] if subject else None,
        "window_start": window_start, "window_end": window_end, "actual": actual, "status": BreachStatus.BREACHED,
        "breached_at": breached_at,
    }
    if not await repository.add_breach(tx.session, values):
        return False
    await tx.emit(SlaBreached(**_fact(values), actual=actual, breached_at=breached_at))
    return True


async def recover(tx: Tx, *, key: str, actual: Decimal,
                  recovered_at: datetime) -> bool:
    breach = await repository.recover_breach(tx.session, breach_key=key, recovered_at=recovered_at, actual=actual)
    if breach is None:
        return False
    values = {column: getattr(breach, column) for column in _FACT_COLUMNS}
    await tx.emit(SlaRecovered(**_fact(values), actual=actual, breached_at=breach.breached_at,
                               recovered_at=recovered_at))
    return True


_FACT_COLUMNS = ("id", "breach_key", "definition_id", "sla_name", "metric", "unit", "comparator", "target",
                 "severity", "scope_type", "scope_value", "owning_team", "subject_type", "subject_id",
                 "window_start", "window_end")


def _fact(values: dict[str, Any]) -> dict[str, Any]:
    """The fields ``sla.breached`` and ``sla.recovered`` share, from a breach row."""
    return {
        "breach_key": values["breach_key"], "breach_id": values["id"], "sla_id": values["definition_id"],
        "sla_name": values["sla_name"], "metric": values["metric"], "unit": values["unit"],
        "scope_type": values["scope_type"], "scope_value": values["scope_value"],
        "subject_type": values["subject_type"], "subject_id": values["subject_id"],
        "comparator": values["comparator"], "target": plain(values["target"]), "severity": values["severity"],
        "owning_team": values["owning_team"], "window_start": values["window_start"],
        "window_end": values["window_end"],
    }

