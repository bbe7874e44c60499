"""An audit entry's before/after as a person reads it: decimals without the column's padding, values unchanged."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given, strategies as st
from pydantic import BaseModel

from o2c_common.audit.jsonable import audit_snapshot, trimmed


class Limit(BaseModel):
    credit_limit: Decimal
    currency: str


def test_decimals_lose_their_padding_but_keep_two_places() -> None:
    assert [trimmed(Decimal(v)) for v in ("110.010000", "500.000000", "0.125000", "-80.000000", "0E-6", "0.5")] == [
        "110.01", "500.00", "0.125", "-80.00", "0.00", "0.50"]
    assert [trimmed(Decimal(v)) for v in ("3", "1E+3", "1.2345678")] == ["3", "1000", "1.2345678"]
    assert trimmed(Decimal("123456789012345678901234567.8")) == "123456789012345678901234567.80"  # past 28 digits


def test_nested_snapshots_models_and_other_values() -> None:
    key = uuid.uuid4()
    snapshot = {"total": Decimal("110.010000"), "lines": [(Decimal("3.000000"), date(2026, 12, 5))],
                "limit": Limit(credit_limit=Decimal("25000.000000"), currency="EUR"), "id": key, "note": None}
    assert audit_snapshot(snapshot) == {"total": "110.01", "lines": [["3.00", "2026-12-05"]],
                                        "limit": {"credit_limit": "25000.00", "currency": "EUR"}, "id": str(key),
                                        "note": None}


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6))
def test_the_value_never_changes(value: Decimal) -> None:
    assert Decimal(trimmed(value)) == value
