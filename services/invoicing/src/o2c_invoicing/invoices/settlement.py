"""The settlement status of an invoice from the AR ledger's figures (pure: no I/O)."""

from __future__ import annotations

from decimal import Decimal

from o2c_invoicing.invoices.states import SettlementStatus


def settlement_status(*, original: Decimal, open_after: Decimal, cash: Decimal, credited: Decimal,
                      written_off: Decimal) -> SettlementStatus:
    """open: nothing settled; partly_settled: something settled, something still owed; once nothing is owed:
    settled when cash came in, else credited when credits cover at least the write-offs, else written_off."""
    if open_after > 0:
        return SettlementStatus.OPEN if open_after >= original else SettlementStatus.PARTLY_SETTLED
    if cash > 0:
        return SettlementStatus.SETTLED
    return SettlementStatus.CREDITED if credited >= written_off else SettlementStatus.WRITTEN_OFF
