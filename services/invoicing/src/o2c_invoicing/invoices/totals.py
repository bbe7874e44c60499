"""Invoice arithmetic: exact decimals rounded half-up to the currency's minor unit, per line."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from o2c_common.money import round_money


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line; tax_rate is a fraction (0.2 for 20 %)."""
    net = round_money(quantity * unit_price, currency)
    return net, round_money(net * tax_rate, currency)


def due_date_for(issue_date: date, *, terms: str, days: int) -> date:
    """net N: issue date + N days; eom N (end of month + N): last day of the issue month + N days."""
    if terms == "eom":
        first_of_next = (issue_date.replace(day=1) + timedelta(days=32)).replace(day=1)
        return first_of_next - timedelta(days=1) + timedelta(days=days)
    return issue_date + timedelta(days=days)


def invoice_totals(lines: list[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross) of an invoice from its lines' (net, tax): the sum of rounded lines."""
    net = sum((n for n, _ in lines), start=Decimal(0))
    tax = sum((t for _, t in lines), start=Decimal(0))
    return net, tax, net + tax
