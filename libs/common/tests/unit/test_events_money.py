"""Money in events is exact: decimal strings on the wire, never floats, and nothing lost in a round trip."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, strategies as st
from pydantic import TypeAdapter, ValidationError

from o2c_common.events import Event, types
from o2c_common.events.contracts.collections import CashApplication, PaymentApplied
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.examples import example_payload

MAX_WHOLE = 10**14 - 1


def _round_trip(event: Event) -> Event:
    return Event.from_kafka(event.key.encode(), event.value(), event.headers())


def test_tenths_add_up_exactly_and_travel_as_strings() -> None:
    parts = [Decimal("0.1"), Decimal("0.2"), Decimal("0.3")]
    applications = [
        CashApplication(application_id=uuid.uuid4(), invoice_id=uuid.uuid4(), invoice_number=f"INV-{i}", amount=a)
        for i, a in enumerate(parts)
    ]
    payment = example_payload(PaymentApplied, applications=applications, unapplied_balance=Decimal("0.00"))
    event = Event.new(payment, source="/o2c/collections")

    raw = json.loads(event.value())
    assert [a["amount"] for a in raw["applications"]] == ["0.1", "0.2", "0.3"]
    assert raw["unapplied_balance"] == "0.00"
    assert b"0.1" in event.value() and b'"amount":0.1' not in event.value()

    received = _round_trip(event)
    assert isinstance(received.data, PaymentApplied)
    total = sum((a.amount for a in received.data.applications), Decimal(0))
    assert total == Decimal("0.6")  # 0.1 + 0.2 + 0.3 as binary floats would be 0.6000000000000001
    assert all(isinstance(a.amount, Decimal) for a in received.data.applications)


def test_floats_are_refused_in_python_and_on_the_wire() -> None:
    with pytest.raises(ValidationError, match="never a float"):
        example_payload(InvoiceIssued, amount=0.1)
    event = Event.new(example_payload(InvoiceIssued), source="/s")
    raw = json.loads(event.value())
    assert raw["amount"] == "1250.00"
    as_number = json.dumps({**raw, "amount": 1250.0}).encode()
    with pytest.raises(ValidationError):
        InvoiceIssued.model_validate_json(as_number)


def test_trailing_zeros_beyond_six_places_are_dropped_without_changing_the_value() -> None:
    issued = example_payload(InvoiceIssued, amount="10.50000000")
    assert issued.amount == Decimal("10.5")
    assert json.loads(issued.model_dump_json())["amount"] == "10.500000"


def test_negative_zero_has_one_spelling() -> None:
    assert json.loads(example_payload(InvoiceIssued, amount="-0.00").model_dump_json())["amount"] == "0.00"


@st.composite
def amounts(draw: st.DrawFn) -> Decimal:
    places = draw(st.integers(min_value=0, max_value=6))
    units = draw(st.integers(min_value=-MAX_WHOLE * 10**places, max_value=MAX_WHOLE * 10**places))
    return Decimal(units).scaleb(-places)


@given(amount=amounts())
def test_any_amount_within_bounds_survives_a_round_trip_exactly(amount: Decimal) -> None:
    event = Event.new(example_payload(InvoiceIssued, amount=amount), source="/s")

    received = _round_trip(event)

    assert isinstance(received.data, InvoiceIssued)
    assert received.data.amount == amount
    wire = json.loads(event.value())["amount"]
    assert isinstance(wire, str)
    if amount != 0:  # zero is always spelled unsigned
        assert wire == format(amount, "f")
    assert Decimal(wire) == amount
    assert received.value() == event.value()


@given(
    whole=st.integers(min_value=10**14, max_value=10**20),
    sign=st.sampled_from([1, -1]),
)
def test_amounts_beyond_fourteen_whole_digits_are_refused(whole: int, sign: int) -> None:
    with pytest.raises(ValidationError):
        example_payload(InvoiceIssued, amount=Decimal(sign * whole))


@given(units=st.integers(min_value=1, max_value=10**12).filter(lambda u: u % 10 != 0))
def test_amounts_with_more_than_six_significant_decimals_are_refused(units: int) -> None:
    with pytest.raises(ValidationError):
        example_payload(InvoiceIssued, amount=Decimal(units).scaleb(-7))


def _both_readings(adapter: TypeAdapter[Any], value: object) -> tuple[Any, Any]:
    """What the validators make of ``value`` (Python input) and what the JSON path makes of it; None if refused."""
    try:
        expected = adapter.validate_python(value)
    except ValidationError:
        expected = None
    try:
        read = adapter.validate_json(json.dumps(value))
    except ValidationError:
        read = None
    return expected, read


_SPELLINGS = st.one_of(
    amounts().map(lambda a: format(a, "f")),  # as written by the serializer
    amounts().map(str),  # exponents ("1E+3")
    st.tuples(amounts(), st.integers(min_value=1, max_value=4)).map(lambda t: f"{t[0]:f}" + "0" * t[1]),
    st.sampled_from(["-0", "-0.00", "0", "+1.5", " 1.5", "1_000", "00012.50", "-00.50", "NaN", "-Infinity", "1e3",
                     "1.1234567", "1.5000000", "123456789012345", "-", ".5", "5.", "", "١٢٣"]),
    st.text(alphabet="0123456789.-+eE _", max_size=24),
)
_JSON_VALUES = st.one_of(_SPELLINGS, st.integers(min_value=-(10**21), max_value=10**21), st.floats(), st.booleans())


@pytest.mark.parametrize("kind", ["Amount", "PositiveAmount", "NonNegativeAmount", "Measure", "Confidence"])
@given(value=_JSON_VALUES)
def test_the_wire_reads_every_spelling_as_the_validators_do(kind: str, value: object) -> None:
    """Events are decoded from JSON, where a canonical string skips the Python validators: what is accepted, and
    the exact decimal it becomes (digits, exponent and sign), must be what the validators make of the same value."""
    adapter: TypeAdapter[Decimal] = TypeAdapter(getattr(types, kind))
    expected, read = _both_readings(adapter, value)
    assert (read is None) == (expected is None)
    if read is not None and expected is not None:
        assert read.as_tuple() == expected.as_tuple()


_INSTANTS = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.datetimes().map(lambda d: d.isoformat()),  # naive: refused
    st.tuples(st.datetimes(), st.integers(min_value=0, max_value=9)).map(
        lambda t: t[0].strftime("%Y-%m-%dT%H:%M:%S") + ("." + "7" * t[1] if t[1] else "") + "Z"
    ),
    st.text(alphabet="0123456789-:TZ.+ ", max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
)


@given(value=_INSTANTS)
def test_the_wire_reads_every_instant_as_the_validators_do(value: object) -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(types.UtcDatetime)
    expected, read = _both_readings(adapter, value)
    assert (read is None) == (expected is None)
    if read is not None and expected is not None:
        assert (read, read.utcoffset()) == (expected, timedelta(0))
        assert adapter.dump_json(read) == adapter.dump_json(expected)
