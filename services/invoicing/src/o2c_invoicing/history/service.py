"""Historical invoices in bulk: a chunk of `POST /invoices/historical` bodies booked all or nothing.

Per chunk: the rows' (entity, number) keys are locked (advisory, in one order), one read finds what is stored
already, then the new invoices, their lines, status rows and audit entries are written with one statement per table
and their `invoice.issued` events with one outbox statement. A row whose id and number were loaded before (by
either path) is answered ``existing`` and nothing is written for it: a re-sent chunk books nothing twice. A row
the single-row path would refuse (a number of the live series, another invoice holding its number or id, or a
number twice in the chunk) refuses the whole chunk: the problem names every such row, and nothing of the chunk
is written."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from o2c_common.errors import DomainError
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.tx import Tx
from o2c_invoicing.history import repository
from o2c_invoicing.history.schemas import BatchRead, BatchRowRead, RowOutcome
from o2c_invoicing.invoices import numbering
from o2c_invoicing.invoices.models import InvoiceSource
from o2c_invoicing.invoices.schemas import HistoricalInvoiceCreate
from o2c_invoicing.invoices.service import audit_values
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.invoices.totals import invoice_totals, line_amounts

NAMESPACE = uuid.UUID("5b0c8d7e-3f0a-4c61-9a57-6f1d2e8b9c40")


def batch_id(legal_entity: str, number: str) -> uuid.UUID:
    """The id of a row sent without one: the same entity and number give the same id on every re-send."""
    return uuid.uuid5(NAMESPACE, f"historical:{legal_entity}:{number}")


class HistoricalRowsRefused(DomainError):
    """Some rows of the chunk would be refused by the single-row path: 409 when every one clashes with a stored
    invoice, 422 otherwise; ``errors`` names each row (``index``, ``pointer``, ``type``, ``detail``)."""

    status = 422
    type = "historical-rows-refused"
    title = "Historical rows refused"


@dataclass
class Chunk:
    rows: Sequence[HistoricalInvoiceCreate]
    ids: list[uuid.UUID] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids = [row.id or batch_id(row.legal_entity, row.number) for row in self.rows]

    @property
    def keys(self) -> list[repository.Key]:
        return [(row.legal_entity, row.number) for row in self.rows]

    def refuse(self, index: int, member: str, *, type: str, detail: str, status: int = 422) -> None:
        self.problems.append({"index": index, "pointer": f"#/invoices/{index}/{member}", "type": type,
                              "status": status, "detail": detail})


def _check_rows(chunk: Chunk) -> None:
    """What each row alone must satisfy, and no number or id twice in the chunk."""
    seen_keys: dict[repository.Key, int] = {}
    seen_ids: dict[uuid.UUID, int] = {}
    for index, (row, invoice_id, key) in enumerate(zip(chunk.rows, chunk.ids, chunk.keys, strict=True)):
        try:
            numbering.check_historical(row.legal_entity, row.number)
        except numbering.HistoricalNumberInLiveSeries as exc:
            chunk.refuse(index, "number", type=exc.type, detail=exc.detail or exc.title)
        if key in seen_keys:
            chunk.refuse(index, "number", type="duplicate-in-batch",
                         detail=f"invoice number {row.number} is also row {seen_keys[key]} of this chunk")
        elif invoice_id in seen_ids:
            chunk.refuse(index, "id", type="duplicate-in-batch",
                         detail=f"id {invoice_id} is also row {seen_ids[invoice_id]} of this chunk")
        seen_keys.setdefault(key, index)
        seen_ids.setdefault(invoice_id, index)


def _check_stored(chunk: Chunk, stored: list[tuple[uuid.UUID, str, str | None]]) -> set[int]:
    """The rows loaded before (same id and number); any other clash with a stored invoice is refused (409)."""
    by_id = {invoice_id: (entity, number) for invoice_id, entity, number in stored}
    by_key = {(entity, number): invoice_id for invoice_id, entity, number in stored}
    existing: set[int] = set()
    for index, (invoice_id, key) in enumerate(zip(chunk.ids, chunk.keys, strict=True)):
        if by_id.get(invoice_id) == key:
            existing.add(index)
        elif invoice_id in by_id or key in by_key:
            holder = by_key.get(key, invoice_id)
            chunk.refuse(index, "number" if key in by_key else "id", type="duplicate-invoice-number", status=409,
                         detail=f"invoice number {key[1]} (or id {invoice_id}) already exists for {key[0]} "
                                f"(invoice {holder})")
    return existing


def _refusal(chunk: Chunk) -> HistoricalRowsRefused:
    rows = sorted({p["index"] for p in chunk.problems})
    status = 409 if all(p["status"] == 409 for p in chunk.problems) else 422
    return HistoricalRowsRefused(
        f"{len(rows)} of {len(chunk.rows)} rows refused (rows {', '.join(map(str, rows[:20]))}"
        f"{', …' if len(rows) > 20 else ''}); nothing of this chunk was written",
        status=status, extensions={"rows": rows, "errors": sorted(chunk.problems, key=lambda p: p["index"])})


def _invoice(tx: Tx, row: HistoricalInvoiceCreate, invoice_id: uuid.UUID, owning_team: str | None,
             lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The invoice row as the single-row import stores it; its lines appended to ``lines``."""
    amounts = []
    for position, line in enumerate(row.lines, start=1):
        net, tax = line_amounts(line.quantity, line.unit_price, line.tax_rate, row.currency)
        amounts.append((net, tax))
        lines.append({"id": uuid.uuid4(), "invoice_id": invoice_id, "position": position,
                      "description": line.description, "quantity": line.quantity, "unit_price": line.unit_price,
                      "tax_rate": line.tax_rate, "net_amount": net, "tax_amount": tax, "po_line": line.po_line})
    net, tax, total = invoice_totals(amounts)
    return {"id": invoice_id, "number": row.number, "legal_entity": row.legal_entity,
            "customer_id": row.customer_id, "currency": row.currency, "net_amount": net, "tax_amount": tax,
            "total_amount": total, "credited_amount": 0, "paid_amount": 0, "requested_issue_date": row.issue_date,
            "issue_date": row.issue_date, "due_date": row.due_date, "payment_terms": row.payment_terms,
            "payment_terms_days": row.payment_terms_days, "po_number": row.po_number,
            "buyer_reference": row.buyer_reference, "owning_team": owning_team, "status": InvoiceStatus.ISSUED.value,
            "source": InvoiceSource.IMPORT.value, "created_by": tx.actor.subject, "version": 1}


def _issued(invoice: dict[str, Any], *, issued_at: datetime) -> InvoiceIssued:
    """``invoices.service.issued_fact`` of an imported invoice's row (no service period, deadline, discount or
    replaced invoice: history rows have none), without building an ORM object that never joins the session."""
    return InvoiceIssued(
        invoice_id=invoice["id"], invoice_number=invoice["number"], legal_entity=invoice["legal_entity"],
        customer_id=invoice["customer_id"], currency=invoice["currency"], amount=invoice["total_amount"],
        tax_amount=invoice["tax_amount"], issue_date=invoice["issue_date"], due_date=invoice["due_date"],
        issued_at=issued_at, owning_team=invoice["owning_team"], po_number=invoice["po_number"], historical=True)


async def import_batch(tx: Tx, rows: Sequence[HistoricalInvoiceCreate]) -> BatchRead:
    """Book the chunk (see the module's docstring); raises HistoricalRowsRefused naming every refused row."""
    chunk = Chunk(rows)
    _check_rows(chunk)
    await repository.lock_numbers(tx.session, chunk.keys)
    existing = _check_stored(chunk, await repository.stored(tx.session, ids=chunk.ids, keys=chunk.keys))
    if chunk.problems:
        raise _refusal(chunk)
    new = [index for index in range(len(rows)) if index not in existing]
    teams = await repository.owning_teams(tx.session, [rows[index].customer_id for index in new])
    now, actor = tx.now(), tx.actor.subject
    invoices: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for index in new:
        row = rows[index]  # a billing profile's team wins, even when it is none
        invoices.append(_invoice(tx, row, chunk.ids[index], teams.get(row.customer_id, row.owning_team), lines))
    await repository.write(
        tx.session, invoices=invoices, lines=lines,
        history=[{"invoice_id": inv["id"], "from_status": None, "to_status": InvoiceStatus.ISSUED.value,
                  "actor": actor, "note": "imported as historical", "at": now} for inv in invoices],
        audit=[audit_values(actor=actor, action="invoice.imported", entity_id=inv["id"], after={
            "number": inv["number"], "total": inv["total_amount"], "issue_date": inv["issue_date"],
            "paid_date": rows[index].paid_date}) for index, inv in zip(new, invoices, strict=True)])
    await tx.emit_many([_issued(inv, issued_at=now) for inv in invoices])
    return BatchRead(created=len(new), existing=len(existing), results=[
        BatchRowRead(index=index, id=chunk.ids[index], number=row.number, legal_entity=row.legal_entity,
                     outcome=RowOutcome.EXISTING if index in existing else RowOutcome.CREATED)
        for index, row in enumerate(rows)])
