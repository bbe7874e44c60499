"""Value types shared by event contracts and APIs: money is a decimal string, never a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, WithJsonSchema


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    return value


Amount = Annotated[
    Decimal,
    AfterValidator(_finite),
    Field(max_digits=20, decimal_places=6),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,14}(\.\d{1,6})?$", "examples": ["1250.00"]}),
]
"""A money amount: exact decimal, serialized as a string such as ``"1250.00"``."""

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD", "EUR"])]
"""ISO 4217 alphabetic currency code."""
