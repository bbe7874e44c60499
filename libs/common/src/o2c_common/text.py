"""Numbers and absent values as a person reads them in texts (case titles, notices, reports): ``1,250.00 USD``,
``12.5 %``, ``200``, ``—``; never ``200.000000`` or ``None``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from o2c_common.money import round_money

DASH = "—"
PERCENT_UNITS = frozenset({"percent", "%"})


def plain(value: Decimal) -> str:
    """A decimal without exponent and without trailing zeros: ``200.000000`` → ``200``, ``12.50`` → ``12.5``."""
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,}"
    return f"{value.normalize():,f}"


def money(amount: Decimal | None, currency: str | None) -> str:
    """``1,250.00 USD`` (the currency's minor units; ``¥`` amounts have none)."""
    if amount is None:
        return DASH
    if not currency:
        return plain(amount)
    return f"{round_money(amount, currency):,} {currency}"


def measure(value: Decimal | int | None, unit: str | None = None) -> str:
    """A KPI value with its unit: ``12.5 %``, ``3.25 days``, ``200``."""
    if value is None:
        return DASH
    number = plain(Decimal(value).quantize(Decimal("0.01")) if isinstance(value, Decimal) else Decimal(value))
    if not unit or unit == "count":
        return number
    if unit in PERCENT_UNITS:
        return f"{number} %"
    return f"{number} {unit.replace('_', ' ')}"


def or_dash(value: Any) -> str:
    """``str(value)``, or ``—`` for ``None`` and empty text."""
    if value is None or value == "":
        return DASH
    return str(value)


def ago(elapsed: timedelta) -> str:
    """How long ago, in the largest whole unit: ``just now``, ``1 minute ago``, ``3 hours ago``, ``2 days ago``."""
    seconds = int(elapsed.total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    raise AssertionError("unreachable")
