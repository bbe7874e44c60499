"""JSON-safe conversion for audit snapshots, cursors and stored responses.

Decimals become strings (``"1250.00"``, never floats), UUIDs strings, datetimes RFC 3339 strings,
enums their values, sets lists, pydantic models and dataclasses dicts; anything else unknown falls
back to ``str(value)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python


def to_json_safe(value: Any) -> Any:
    """``value`` as plain JSON types (dict, list, str, int, float, bool, None)."""
    return to_jsonable_python(value, fallback=str, by_alias=True)


def audit_snapshot(value: Any) -> Any:
    """``value`` as JSON types for an audit entry's ``before``/``after``: as :func:`to_json_safe`, but a decimal is
    written as a person reads it, without the column's padding: ``Decimal("110.010000")`` → ``"110.01"``,
    ``500.000000`` → ``"500.00"``, ``0.125000`` → ``"0.125"``, ``3`` → ``"3"`` (the value is unchanged)."""
    return to_json_safe(_decimals_trimmed(value))


def _decimals_trimmed(value: Any) -> Any:
    if isinstance(value, Decimal):
        return trimmed(value)
    if isinstance(value, dict):
        return {key: _decimals_trimmed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_decimals_trimmed(item) for item in value]
    if isinstance(value, BaseModel):
        return _decimals_trimmed(value.model_dump(by_alias=True))
    return value


def trimmed(value: Decimal) -> str:
    """Trailing zeros dropped down to two decimals (none for a whole number written without any); built from the
    exact digits, so it never rounds and never raises."""
    text = f"{value:f}"
    if "." not in text:
        return text
    whole, fraction = text.split(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"
