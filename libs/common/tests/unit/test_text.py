from datetime import timedelta
from decimal import Decimal

import pytest

from o2c_common.text import ago, measure, money, or_dash, plain


def test_money_has_the_currencys_minor_units_and_grouping() -> None:
    assert money(Decimal("1250.000000"), "USD") == "1,250.00 USD"
    assert money(Decimal("495000.000000"), "JPY") == "495,000 JPY"
    assert money(Decimal("-3.15"), "EUR") == "-3.15 EUR"
    assert money(None, "USD") == "—"


def test_measures_read_like_numbers_not_storage_formats() -> None:
    assert measure(Decimal("200.000000")) == "200"
    assert measure(Decimal("12.500000"), "percent") == "12.5 %"
    assert measure(Decimal("3.254"), "business_days") == "3.25 business days"
    assert measure(7, "count") == "7"
    assert measure(None, "days") == "—"
    assert plain(Decimal("1E+3")) == "1,000"


def test_absent_values_show_as_a_dash() -> None:
    assert or_dash(None) == "—" and or_dash("") == "—" and or_dash("vendor-a") == "vendor-a"


@pytest.mark.parametrize(("elapsed", "text"), [
    (timedelta(seconds=59), "just now"), (timedelta(seconds=60), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"), (timedelta(hours=1, minutes=59), "1 hour ago"),
    (timedelta(hours=47), "1 day ago"), (timedelta(days=3), "3 days ago"),
])
def test_ago_says_the_largest_whole_unit(elapsed: timedelta, text: str) -> None:
    assert ago(elapsed) == text
