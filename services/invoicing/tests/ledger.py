"""Hand-built AR ledger entries (collections' ``receivable.changed``) for an invoice, with running totals kept
the way the ledger keeps them, and a helper to run invoicing's handlers on them in a unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_common.events.examples import example_payload
from o2c_invoicing.main import CONSUMER_GROUP, HANDLERS

from .conftest import Service


@dataclass
class Ledger:
    """One invoice's receivable: ``post`` returns the event of each entry as collections would emit it."""

    invoice: dict[str, Any]
    sequence: int = 0
    open: Decimal = Decimal(0)
    cash: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    events: list[Event[ReceivableChanged]] = field(default_factory=list)

    @property
    def original(self) -> Decimal:
        return Decimal(str(self.invoice["total_amount"]))

    def post(self, kind: str, amount: str | Decimal, **links: Any) -> Event[ReceivableChanged]:
        """``amount`` as the ledger posts it: positive for the invoice and a reversal, negative otherwise."""
        signed = Decimal(str(amount))
        self.sequence += 1
        self.open += signed
        if kind == "payment" or kind == "reversal":
            self.cash -= signed
        elif kind == "credit_note":
            self.credited -= signed
        elif kind in ("write_off", "tolerance_write_off"):
            self.written_off -= signed
        payload = example_payload(
            ReceivableChanged, invoice_id=uuid.UUID(str(self.invoice["id"])),
            invoice_number=self.invoice["number"], legal_entity=self.invoice["legal_entity"],
            customer_id=self.invoice["customer_id"], owning_team=self.invoice.get("owning_team"),
            currency=self.invoice["currency"], sequence=self.sequence, kind=kind, amount=signed,
            effective_date=date(2026, 3, self.sequence), original_amount=self.original,
            open_amount_after=self.open, cash_applied_total=self.cash, credited_total=self.credited,
            written_off_total=self.written_off, **{"payment_id": None, "application_id": None,
                                                   "credit_note_id": None, "deduction_id": None,
                                                   "dispute_id": None, "reason": None, **links})
        event = Event.new(payload, source="/o2c/collections")
        self.events.append(event)
        return event

    def opened(self) -> Event[ReceivableChanged]:
        return self.post("invoice", self.original)


async def handle(service: Service, *events: Event[Any]) -> None:
    """Each event in its own unit of work, as the consumer runs it."""
    for event in events:
        async with service.app.state.transactions.begin(f"system:{CONSUMER_GROUP}") as tx:
            assert isinstance(event.data, EventPayload)
            await HANDLERS[type(event.data)](tx, event)
