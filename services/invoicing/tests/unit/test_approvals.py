"""Issue 12, A8: the second-approval threshold is per currency (¥495,000 needed two approvers); and the billing
deadline from the customer's cadence (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.lifecycle import approvals_required
from o2c_invoicing.invoices.settlement import settlement_status
from o2c_invoicing.profiles.billing import billing_deadline


def invoice(amount: str, currency: str) -> Any:
    return SimpleNamespace(total_amount=Decimal(amount), currency=currency)


@pytest.mark.parametrize(("amount", "currency", "required"), [
    ("495000", "JPY", 1), ("1500001", "JPY", 2), ("10000", "USD", 1), ("10001", "USD", 2), ("8000.01", "GBP", 2),
    ("9999", "EUR", 1), ("5", "SEK", 2)])
def test_second_approval_by_currency(amount: str, currency: str, required: int) -> None:
    assert approvals_required(invoice(amount, currency), InvoicingSettings()) == required


def test_a_default_limit_for_currencies_not_listed() -> None:
    settings = InvoicingSettings(second_approval_default=Decimal("50000"))
    assert approvals_required(invoice("49000", "SEK"), settings) == 1


@pytest.mark.parametrize(("cadence", "lag", "expected"), [
    (None, 5, None), ("on_delivery", 3, date(2026, 3, 13)), ("monthly", 5, date(2026, 3, 5)),
    ("service_period_end", 10, date(2026, 3, 10))])
def test_billing_deadline_from_the_cadence(cadence: str | None, lag: int, expected: date | None) -> None:
    assert billing_deadline(cadence, lag, service_period_end=date(2026, 2, 28), requested_issue_date=date(2026, 3, 10),
                            prepared_on=date(2026, 3, 1)) == expected


@pytest.mark.parametrize(("open_after", "cash", "credited", "written_off", "status"), [
    ("100", "0", "0", "0", "open"), ("40", "60", "0", "0", "partly_settled"), ("0", "96.85", "0", "3.15", "settled"),
    ("0", "0", "100", "0", "credited"), ("0", "0", "10", "90", "written_off"), ("-5", "105", "0", "0", "settled")])
def test_settlement_status(open_after: str, cash: str, credited: str, written_off: str, status: str) -> None:
    assert settlement_status(original=Decimal(100), open_after=Decimal(open_after), cash=Decimal(cash),
                             credited=Decimal(credited), written_off=Decimal(written_off)) == status
