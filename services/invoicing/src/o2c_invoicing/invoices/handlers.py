"""Inbound events acting on invoices: the AR ledger's entries (collections' ``receivable.changed``), mirrored as
the invoice's settlement. Only these change what is owed; a portal never does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from o2c_common.audit.log import audit_row, record_audits
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


async def on_receivables_changed_mirror_settlements(tx: Tx, events: Sequence[Event[ReceivableChanged]]) -> None:
    """Copy the ledger's figures after each entry, a partition batch at a time (one lock of the invoices, one
    update, one insert each of status rows, audit entries and events). Entries of invoices not stored here
    (imported elsewhere) are skipped; an entry at or below the sequence already mirrored is a redelivery or arrives
    late (the newer entry carries the running totals already) and changes nothing. Each mirrored entry leaves a
    status row; a change of settlement status is audited; ``invoice.paid`` when the invoice becomes settled."""
    tx = tx.acting_as(COLLECTIONS)
    stored = {row.id: row._asdict() for row in await repository.lock_settlements(
        tx.session, invoice_ids=[event.data.invoice_id for event in events])}
    now = tx.now()
    written: dict[uuid.UUID, dict[str, Any]] = {}
    history: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    paid: list[tuple[InvoicePaid, str | None]] = []
    for event in events:
        fact, invoice = event.data, stored.get(event.data.invoice_id)
        if invoice is None or fact.sequence <= invoice["ledger_sequence"]:
            continue
        before = invoice["settlement_status"]
        status = settlement_status(original=fact.original_amount, open_after=fact.open_amount_after,
                                   cash=fact.cash_applied_total, credited=fact.credited_total,
                                   written_off=fact.written_off_total)
        invoice.update(ledger_sequence=fact.sequence, settlement_status=status)
        written[invoice["id"]] = {
            "id": invoice["id"], "ledger_sequence": fact.sequence, "ledger_open_amount": fact.open_amount_after,
            "paid_amount": fact.cash_applied_total, "ledger_credited_amount": fact.credited_total,
            "written_off_amount": fact.written_off_total, "ledger_updated_at": now, "settlement_status": status,
            "settled_on": fact.effective_date if fact.open_amount_after <= 0 else None,
            "version": invoice["version"] + 1}  # the row is locked: one bump per batch, as before
        history.append({"invoice_id": invoice["id"], "from_status": invoice["status"], "to_status": invoice["status"],
                        "actor": COLLECTIONS, "at": now,
                        "note": f"settlement: {fact.kind} {money(fact.amount, fact.currency)}, "
                                f"open {money(fact.open_amount_after, fact.currency)} ({status})"})
        if status != before:
            audits.append(audit_row(
                actor=COLLECTIONS, action="invoice.settlement_changed", entity_type="invoice", entity_id=invoice["id"],
                reason=fact.reason, before={"settlement_status": before}, correlation_id=event.correlation_id,
                after={"settlement_status": status, "sequence": fact.sequence, "kind": fact.kind,
                       "amount": fact.amount, "open_amount": fact.open_amount_after}))
        if status == SettlementStatus.SETTLED and before != SettlementStatus.SETTLED:
            paid.append((_paid(invoice, fact, now), event.correlation_id))
    await repository.write_settlements(tx.session, list(written.values()))
    await repository.add_histories(tx.session, history)
    await record_audits(tx.session, audits)
    await tx.emit_many([fact for fact, _ in paid], correlation_ids=[correlation for _, correlation in paid])


def _paid(invoice: dict[str, Any], fact: ReceivableChanged, now: Any) -> InvoicePaid:
    return InvoicePaid(
        invoice_id=invoice["id"], invoice_number=fact.invoice_number, legal_entity=invoice["legal_entity"],
        customer_id=invoice["customer_id"], owning_team=invoice["owning_team"], currency=invoice["currency"],
        amount=invoice["total_amount"], paid_date=fact.effective_date, paid_at=now, source="cash_applied",
        payment_ids=(fact.payment_id,) if fact.payment_id else ())
