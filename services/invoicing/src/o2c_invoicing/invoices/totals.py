"""Invoice arithmetic: exact decimals rounded half-up to the currency's minor unit, per line."""

from __future__ import annotations

from decimal import Decimal

from o2c_common.money import round_money


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line; tax_rate is a fraction (0.2 for 20 %)."""
    net = round_money(quantity * unit_price, currency)
    return net, round_money(net * tax_rate, currency)
