from decimal import Decimal

from hypothesis import given, strategies as st

from o2c_common.money import minor_units, round_money
from o2c_invoicing.invoices.totals import due_date_for, invoice_totals, line_amounts

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(1_000_000), places=4)
rates = st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.07"), Decimal("0.19"), Decimal("0.2")])
currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD"])


def test_half_up_to_the_currency_minor_unit() -> None:
    assert line_amounts(Decimal(3), Decimal("33.335"), Decimal("0.10"), "USD") == (Decimal("100.01"), Decimal("10.00"))
    assert line_amounts(Decimal(1), Decimal("0.125"), Decimal(0), "EUR")[0] == Decimal("0.13")
    assert line_amounts(Decimal(1), Decimal("1999.5"), Decimal(0), "JPY")[0] == Decimal(2000)
    assert line_amounts(Decimal(1), Decimal("1.0005"), Decimal(0), "KWD")[0] == Decimal("1.001")


@given(quantities, prices, rates, currencies)
def test_line_amounts_are_exact_in_minor_units_and_within_half_a_unit(
    quantity: Decimal, price: Decimal, rate: Decimal, currency: str
) -> None:
    net, tax = line_amounts(quantity, price, rate, currency)
    unit = Decimal(1).scaleb(-minor_units(currency))
    assert net == round_money(net, currency) and tax == round_money(tax, currency)
    assert abs(net - quantity * price) <= unit / 2
    assert abs(tax - net * rate) <= unit / 2
    assert net >= 0 and tax >= 0


@given(st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=20), currencies)
def test_invoice_total_is_the_sum_of_rounded_lines(lines: list[tuple[Decimal, Decimal, Decimal]],
                                                   currency: str) -> None:
    amounts = [line_amounts(q, p, r, currency) for q, p, r in lines]
    net, tax, gross = invoice_totals(amounts)
    assert gross == net + tax == sum(n + t for n, t in amounts)
    assert gross == round_money(gross, currency)


def test_due_dates_net_and_end_of_month() -> None:
    from datetime import date
    assert due_date_for(date(2026, 1, 31), terms="net", days=30) == date(2026, 3, 2)
    assert due_date_for(date(2026, 1, 15), terms="eom", days=30) == date(2026, 3, 2)
    assert due_date_for(date(2026, 12, 3), terms="eom", days=0) == date(2026, 12, 31)
