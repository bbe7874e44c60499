"""Invoice arithmetic: exact decimals rounded half-up to the currency's minor unit, per line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "UGX", "PYG"})
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"})


def minor_units(currency: str) -> int:
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line; tax_rate is a fraction (0.2 for 20 %)."""
    net = round_money(quantity * unit_price, currency)
    return net, round_money(net * tax_rate, currency)
