"""The ECB file parser on its own: the daily CSV (`eurofxref.csv`: spaces after commas, the date as `28 June
2024`), its ZIP, the XML's rates as written, and repeated or conflicting rates."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from o2c_kpi.fx import ecb

DATA = Path(__file__).resolve().parents[1] / "data" / "ecb"
XML = (DATA / "eurofxref-daily.xml").read_bytes()


def daily_csv() -> bytes:
    """The daily CSV the ECB publishes beside the XML, in its shape, with the XML's rates of 28 June 2024."""
    rates = ecb.parse(XML).rates
    header = "Date, " + ", ".join(r.currency for r in rates) + ", "
    line = "28 June 2024, " + ", ".join(str(r.rate) for r in rates) + ", "
    return f"{header}\n{line}\n".encode()


def test_the_daily_csv_and_its_zip_read_as_the_xml() -> None:
    from_xml = ecb.parse(XML)
    from_csv = ecb.parse(daily_csv())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("eurofxref.csv", daily_csv())
    from_zip = ecb.parse(buffer.getvalue())
    assert (from_xml.format, from_csv.format, from_zip.format) == ("xml", "csv", "zip")
    assert sorted(from_csv.rates) == sorted(from_xml.rates) == sorted(from_zip.rates)
    assert ecb.EcbRate(date(2024, 6, 28), "IDR", Decimal("17487.21")) in from_xml.rates
    assert len(from_xml.rates) == 30


def test_a_byte_order_mark_does_not_hide_the_xml() -> None:
    assert len(ecb.parse(b"\xef\xbb\xbf" + XML).rates) == 30


def test_a_rate_given_twice_is_kept_once_and_two_different_rates_are_refused() -> None:
    twice = b"Date,USD,\n2014-08-25,1.32,\n2014-08-25,1.32,\n"
    assert ecb.parse(twice).rates == [ecb.EcbRate(date(2014, 8, 25), "USD", Decimal("1.32"))]
    with pytest.raises(ecb.InvalidEcbFile) as refused:
        ecb.parse(b"Date,USD,\n2014-08-25,1.32,\n2014-08-25,1.33,\n")
    assert refused.value.errors[0]["detail"] == "USD on 2014-08-25 is given twice, as 1.32 and as 1.33"


@pytest.mark.parametrize("cell", ["0", "-1.2", "1e3", "NaN", "1.12345678901", "12345678901234", "1,2"])
def test_a_rate_that_is_not_a_positive_decimal_the_table_can_hold_is_refused(cell: str) -> None:
    with pytest.raises(ecb.InvalidEcbFile) as refused:
        ecb.parse(f"Date,USD,\n2014-08-25,{cell},\n".encode())
    assert refused.value.errors[0]["line"] == 2
