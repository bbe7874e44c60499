"""Value types shared by event contracts and APIs: money is a decimal string, never a float."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import core_schema as cs

AMOUNT_WHOLE_DIGITS = 14
AMOUNT_DECIMAL_PLACES = 6


def _no_float(value: Any) -> Any:
    """Refuse binary floats (and JSON numbers with a fraction, which arrive as floats): they are not exact."""
    if isinstance(value, float | bool):
        raise ValueError("must be a decimal string such as '1250.00', never a float or boolean")
    return value


def _exact_decimal(places: int) -> Any:
    quantum = Decimal(1).scaleb(-places)

    def check(value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            # Only trailing zeros can be beyond `places` here (the digit checks ran first): drop them so
            # the wire form never has more than `places` decimals. The value is unchanged.
            value = value.quantize(quantum)
        if value.is_zero() and value.is_signed():
            value = value.copy_abs()  # "-0" and "0" are the same amount; keep one spelling
        return value

    return check


def _decimal_string(value: Decimal) -> str:
    return format(value, "f")


CANONICAL_READING, VALIDATED_READING = "canonical", "validated"
"""The two readings of a value type on the JSON path, as they name a refusal's location (``amount.canonical``)."""


class _CanonicalOnTheWire:
    """On the JSON path (an event as consumed), a string in the canonical form this module writes is read by
    pydantic-core alone (``native``, after ``pattern``); any other input goes through the type's validators, which
    decide as before. A canonical string is one the validators would leave as parsed, so the value is the same
    either way; only the errors read differently on the JSON path (each names both readings). Python input (the
    APIs' bodies) takes the validators only."""

    def __init__(self, pattern: str, native: cs.CoreSchema) -> None:
        self._pattern, self._native = pattern, native

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> cs.CoreSchema:
        validated = handler(source)
        canonical = cs.chain_schema([cs.str_schema(pattern=self._pattern, strict=True), self._native])
        return cs.json_or_python_schema(
            json_schema=cs.union_schema(
                [(canonical, CANONICAL_READING), (validated, VALIDATED_READING)], mode="left_to_right"
            ),
            python_schema=validated,
            serialization=validated.get("serialization"),
        )


def _canonical_decimal(places: int, *, signed: bool) -> str:
    """No exponent, at most ``places`` decimals, a ``-`` only before a nonzero whole part (never "-0")."""
    unsigned = rf"\d{{1,{AMOUNT_WHOLE_DIGITS}}}(?:\.\d{{1,{places}}})?"
    negative = rf"|-[1-9]\d{{0,{AMOUNT_WHOLE_DIGITS - 1}}}(?:\.\d{{1,{places}}})?" if signed else ""
    return rf"^(?:{unsigned}{negative})$"


def _exact(places: int, json_schema: dict[str, Any], *, max_digits: int | None = None, **bounds: Decimal | int) -> Any:
    """An exact decimal type: floats refused, at most ``max_digits`` digits (14 whole digits and the places unless
    given) and ``places`` decimals (trailing zeros beyond them dropped, "-0" read as "0"), serialized as a plain
    decimal string."""
    max_digits = AMOUNT_WHOLE_DIGITS + places if max_digits is None else max_digits
    constraints: dict[str, Any] = {"max_digits": max_digits, "decimal_places": places, **bounds}
    # A canonical string has at most AMOUNT_WHOLE_DIGITS + places digits and `places` decimals: where that is
    # within the limits, the digit checks (pydantic-core calls Decimal.as_tuple for them) are left out for it.
    implied = max_digits >= AMOUNT_WHOLE_DIGITS + places
    canonical = cs.decimal_schema(**(bounds if implied else constraints))
    return Annotated[
        Decimal,
        Field(**constraints),
        BeforeValidator(_no_float),
        AfterValidator(_exact_decimal(places)),
        PlainSerializer(_decimal_string, return_type=str, when_used="json"),
        _CanonicalOnTheWire(
            _canonical_decimal(places, signed=not ({"gt", "ge"} & bounds.keys())), canonical
        ),
        WithJsonSchema(json_schema),
    ]


_UNSIGNED = r"\d{1,14}(\.\d{1,6})?"

Amount = _exact(
    AMOUNT_DECIMAL_PLACES,
    {"type": "string", "pattern": rf"^-?{_UNSIGNED}$", "examples": ["1250.00"]},
)
"""A money amount: exact decimal, serialized as a string such as ``"1250.00"``.

At most 14 whole digits and 6 decimal places; floats are refused (pass ``Decimal`` or ``str``).
"""

PositiveAmount = _exact(
    AMOUNT_DECIMAL_PLACES,
    {"type": "string", "pattern": rf"^(?!0+(\.0+)?$){_UNSIGNED}$", "examples": ["1250.00"]},
    gt=0,
)
"""An :data:`Amount` greater than zero: the event type says which way it moves a balance."""

NonNegativeAmount = _exact(
    AMOUNT_DECIMAL_PLACES,
    {"type": "string", "pattern": rf"^{_UNSIGNED}$", "examples": ["0.00"]},
    ge=0,
)
"""An :data:`Amount` of zero or more (a remaining balance, an amount paid so far)."""

Measure = _exact(
    6, {"type": "string", "pattern": r"^-?\d{1,14}(\.\d{1,6})?$", "examples": ["73.7", "98.5"]},
)
"""A measured or target KPI value (days, percent, count, amount): exact decimal serialized as a string."""

Confidence = _exact(
    4, {"type": "string", "pattern": r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", "examples": ["0.95"]},
    max_digits=5, ge=0, le=1,
)
"""A score from 0 to 1 with at most 4 decimals, serialized as a string such as ``"0.95"``."""

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD", "EUR"])]
"""ISO 4217 alphabetic currency code."""

# Identifiers bounded to what every consumer stores: a value one consumer cannot keep must fail decoding in all
# of them alike (each dead-letters it), never be applied by one and refused by another.
InvoiceNumber = Annotated[str, Field(min_length=1, max_length=40, examples=["US01-2026-000123"])]
CustomerId = Annotated[str, Field(min_length=1, max_length=64, examples=["CUST-1001"])]
TeamName = Annotated[str, Field(min_length=1, max_length=64, examples=["vendor-a"])]
LegalEntity = Annotated[str, Field(min_length=1, max_length=20, examples=["US01"])]
Region = Annotated[str, Field(min_length=1, max_length=32, examples=["NA"])]
PoNumber = Annotated[str, Field(min_length=1, max_length=64, examples=["PO-4711"])]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    _CanonicalOnTheWire(
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$", cs.datetime_schema(tz_constraint="aware")
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An instant: timezone-aware (naive datetimes are refused), normalized to UTC, serialized RFC 3339 ``Z``."""

Severity = Literal["P1", "P2", "P3", "P4"]
"""Severity of an SLA breach or escalation case: P1 is the most urgent."""
