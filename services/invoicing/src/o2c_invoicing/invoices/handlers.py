"""Inbound events acting on invoices: cash applied by collections (mark paid when settled)."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts.collections import PaymentApplied
from o2c_common.tx import Tx
from o2c_invoicing.invoices import lifecycle

COLLECTIONS = "system:collections"
"""The actor of cash applied by collections in the audit trail and the status history."""


async def on_payment_applied_mark_paid(tx: Tx, event: Event[PaymentApplied]) -> None:
    await lifecycle.apply_payment(tx.acting_as(COLLECTIONS), event.data)
