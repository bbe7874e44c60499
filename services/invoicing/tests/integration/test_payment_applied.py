"""payment.applied from collections marks an invoice paid once it is fully settled, exactly once."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_common.events import Event
from o2c_common.events.contracts.collections import CashApplication, PaymentApplied
from o2c_common.events.examples import example_payload
from o2c_invoicing.invoices.handlers import InvoiceHandlers

from ..conftest import Service


def applied(invoice: dict[str, object], amount: str, application_id: uuid.UUID | None = None) -> Event:
    payload = example_payload(
        PaymentApplied, payment_id=uuid.uuid4(), customer_id=invoice["customer_id"], currency=invoice["currency"],
        legal_entity=invoice["legal_entity"], applied_date=date(2026, 3, 1), unapplied_balance=Decimal(0),
        applications=(CashApplication(application_id=application_id or uuid.uuid4(),
                                      invoice_id=uuid.UUID(str(invoice["id"])),
                                      invoice_number=str(invoice["number"]), amount=Decimal(amount)),),
    )
    return Event.new(payload, source="/o2c/collections")


async def handle(service: Service, event: Event) -> None:
    handlers = InvoiceHandlers(outbox=service.app.state.outbox).handlers()
    async with service.db.unit_of_work() as session:
        await handlers[PaymentApplied](session, event)


async def test_partial_then_full_payment_marks_paid_once(service: Service) -> None:
    invoice = await service.issued()
    total = Decimal(invoice["total_amount"])
    first = applied(invoice, str(total - Decimal("10.00")))
    await handle(service, first)
    assert await service.scalar("SELECT status FROM invoices WHERE id = :i", i=invoice["id"]) == "issued"
    await handle(service, applied(invoice, "10.00"))
    assert await service.scalar("SELECT status FROM invoices WHERE id = :i", i=invoice["id"]) == "paid"
    assert (await service.outbox_types()).count("invoice.paid") == 1

    assert isinstance(first.data, PaymentApplied)
    again = applied(invoice, "10.00", application_id=first.data.applications[0].application_id)
    await handle(service, again)  # an application already counted (redelivered under a new event id)
    assert Decimal(await service.scalar("SELECT paid_amount FROM invoices WHERE id = :i", i=invoice["id"])) == total
    assert (await service.outbox_types()).count("invoice.paid") == 1


async def test_cash_for_an_unknown_invoice_changes_nothing(service: Service) -> None:
    ghost = {"id": str(uuid.uuid4()), "number": "X-1", "customer_id": "C", "currency": "USD",
             "legal_entity": "US01"}
    await handle(service, applied(ghost, "5.00"))
    assert "invoice.paid" not in await service.outbox_types()
