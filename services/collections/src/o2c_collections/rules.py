"""Rules kept as data (overdue escalation, credit holds): saving one (create or replace, versioned, audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from o2c_common.entities import load
from o2c_common.tx import Tx


class VersionedRule(Protocol):
    version: int


R = TypeVar("R", bound=VersionedRule)


async def put(tx: Tx, model: type[R], *, rule_id: str, values: dict[str, Any], entity_type: str) -> R:
    """The rule ``rule_id`` created, or replaced by ``values`` with its version raised (under its row lock);
    audited as ``<entity_type>.saved``."""
    existing = await load(tx.session, model, rule_id, for_update=True)
    return await save(tx, existing=existing, new=model, rule_id=rule_id, values=values, entity_type=entity_type)


async def save(tx: Tx, *, existing: R | None, new: Callable[..., R], rule_id: str, values: dict[str, Any],
               entity_type: str) -> R:
    """``existing`` (locked) replaced by ``values`` with its version raised, or a new ``new`` row; audited."""
    before = None
    if existing is None:
        rule = new(id=rule_id, version=1, **values)
        tx.session.add(rule)
    else:
        rule = existing
        before = {key: getattr(rule, key) for key in values}
        for key, value in values.items():
            setattr(rule, key, value)
        rule.version += 1
    await tx.session.flush()
    await tx.audit(f"{entity_type}.saved", entity_type=entity_type, entity_id=rule_id, before=before, after=values)
    return rule
