"""CSV cells never start a formula (OWASP CSV injection); numbers, negative ones too, stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from o2c_common.csvsafe import SafeWriter, safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "\uff1d1"])
def test_text_that_starts_a_formula_gets_a_leading_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-12.50", "+3", "1200.00", "ACME Corp", "", Decimal("-5.00"), -7, None, "a=b"])
def test_data_is_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_the_writer_quotes_every_cell() -> None:
    out = io.StringIO()
    SafeWriter(out).writerow(["=HYPERLINK(\"http://x\")", "-100.00", "vendor-a"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=HYPERLINK(\"http://x\")", "-100.00", "vendor-a"]
