"""Inbound events acting on invoices: the AR ledger's entries (collections' ``receivable.changed``), mirrored as
the invoice's settlement. Only these change what is owed; a portal never does."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_common.events.contracts.invoicing import InvoicePaid
from o2c_common.text import money
from o2c_common.tx import Tx
from o2c_invoicing.invoices import repository
from o2c_invoicing.invoices.settlement import settlement_status
from o2c_invoicing.invoices.states import SettlementStatus

COLLECTIONS = "system:collections"
"""The actor of ledger entries mirrored from collections in the audit trail and the status history."""


async def on_receivable_changed_mirror_settlement(tx: Tx, event: Event[ReceivableChanged]) -> None:
    """Copy the ledger's figures after one entry. Entries of invoices not stored here (imported elsewhere) are
    skipped; an entry at or below the sequence already mirrored is a redelivery or arrives late (the newer
    entry carries the running totals already) and changes nothing. ``invoice.paid`` when it becomes settled."""
    tx, fact = tx.acting_as(COLLECTIONS), event.data
    invoice = await repository.get(tx.session, invoice_id=fact.invoice_id, for_update=True)
    if invoice is None or fact.sequence <= invoice.ledger_sequence:
        return
    before = invoice.settlement_status
    status = settlement_status(original=fact.original_amount, open_after=fact.open_amount_after,
                               cash=fact.cash_applied_total, credited=fact.credited_total,
                               written_off=fact.written_off_total)
    invoice.ledger_sequence, invoice.ledger_open_amount = fact.sequence, fact.open_amount_after
    invoice.paid_amount, invoice.ledger_credited_amount = fact.cash_applied_total, fact.credited_total
    invoice.written_off_amount, invoice.ledger_updated_at = fact.written_off_total, tx.now()
    invoice.settlement_status = status
    invoice.settled_on = fact.effective_date if fact.open_amount_after <= 0 else None
    await repository.flush(tx.session)
    note = (f"settlement: {fact.kind} {money(fact.amount, fact.currency)}, "
            f"open {money(fact.open_amount_after, fact.currency)} ({status})")
    await repository.add_history(tx.session, invoice_id=invoice.id, from_status=invoice.status,
                                 to_status=invoice.status, actor=tx.actor.subject, note=note, at=tx.now())
    if status != before:
        await tx.audit("invoice.settlement_changed", entity_type="invoice", entity_id=invoice.id,
                       reason=fact.reason, before={"settlement_status": before},
                       after={"settlement_status": status, "sequence": fact.sequence, "kind": fact.kind,
                              "amount": fact.amount, "open_amount": fact.open_amount_after})
    if status == SettlementStatus.SETTLED and before != SettlementStatus.SETTLED:
        await tx.emit(InvoicePaid(
            invoice_id=invoice.id, invoice_number=fact.invoice_number, legal_entity=invoice.legal_entity,
            customer_id=invoice.customer_id, owning_team=invoice.owning_team, currency=invoice.currency,
            amount=invoice.total_amount, paid_date=fact.effective_date, paid_at=tx.now(), source="cash_applied",
            payment_ids=(fact.payment_id,) if fact.payment_id else ()))
