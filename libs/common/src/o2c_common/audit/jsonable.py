"""JSON-safe conversion for audit snapshots, cursors and stored responses.

Decimals become strings (``"1250.00"``, never floats), UUIDs strings, datetimes RFC 3339 strings,
enums their values, sets lists, pydantic models and dataclasses dicts; anything else unknown falls
back to ``str(value)``.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python


def to_json_safe(value: Any) -> Any:
    """``value`` as plain JSON types (dict, list, str, int, float, bool, None)."""
    return to_jsonable_python(value, fallback=str, by_alias=True)
