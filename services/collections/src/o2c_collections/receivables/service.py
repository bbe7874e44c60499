from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c_collections.accounts import repository as accounts
from o2c_collections.receivables import ledger, repository
from o2c_collections.receivables.models import EntryKind, OpenItem, OpenItemStatus
from o2c_collections.receivables.rows import ItemRow
from o2c_collections.receivables.schemas import (
    Balance,
    LedgerEntryRead,
    OpenAmountList,
    OpenAmountPage,
    OpenAmountRead,
    OpenItemRead,
)
from o2c_common.audit.log import audit_row, record_audits
from o2c_common.auth import ensure_team_access
from o2c_common.errors import NotFound, UnprocessableEntity
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued
from o2c_common.http import Page, PageRequest
from o2c_common.http.pagination import build_page
from o2c_common.money import round_money
from o2c_common.tx import Tx

SYSTEM = "system:collections"


@dataclass(frozen=True, slots=True)
class Issued:
    """An ``invoice.issued`` fact to open a receivable for, with the id and correlation of the event carrying it."""

    fact: InvoiceIssued
    event_id: uuid.UUID | None = None
    correlation_id: str | None = None


async def open_receivable(tx: Tx, *, fact: InvoiceIssued, event_id: uuid.UUID | None) -> OpenItem | None:
    """:func:`open_receivables` for one invoice: its new open item, None when it had one."""
    if not await open_receivables(tx, [Issued(fact, event_id)]):
        return None
    return await repository.get(tx.session, invoice_id=fact.invoice_id)


async def open_receivables(tx: Tx, issued: Sequence[Issued]) -> list[uuid.UUID]:
    """Opens each invoice's receivable (its open item and ledger entry 1), announced as ``receivable.changed`` and
    audited as ``system:collections`` whoever opens it (the consumer, the history importer). Idempotent on the
    invoice id: a redelivery, another event for the same invoice, or another writer opening it first (even racing)
    change nothing. The owning team is the account master's when the customer's account names one, else the
    invoice's. Set-based: one read of the teams and one write each of items, entries, events and audit entries for
    the whole list. Returns the invoice ids opened, in the order given."""
    first = {one.fact.invoice_id: one for one in reversed(issued)}  # the first of an invoice's facts wins
    ordered = [one for one in issued if first.get(one.fact.invoice_id) is one]
    teams = await accounts.teams_of(tx.session, customer_ids=[one.fact.customer_id for one in ordered])
    items = [_open_item(one.fact, teams.get(one.fact.customer_id) or one.fact.owning_team) for one in ordered]
    opened = await repository.insert_many_new(tx.session, [_values(item) for item in items])
    done = [(one, item) for one, item in zip(ordered, items, strict=True) if item.invoice_id in opened]
    postings = [ledger.Posting(invoice_id=item.invoice_id, sequence=1, kind=EntryKind.INVOICE,
                               amount=item.original_amount, effective_date=item.issue_date, posted_by=SYSTEM)
                for _, item in done]
    await repository.insert_entries(tx.session, [
        {**posting.row(item), "source_event_id": one.event_id}
        for posting, (one, item) in zip(postings, done, strict=True)])
    now = tx.now()
    await tx.emit_many([ledger.changed(item, posting, ledger.Totals(open_amount=item.original_amount),
                                       posted_by=SYSTEM, posted_at=now)
                        for posting, (_, item) in zip(postings, done, strict=True)],
                       correlation_ids=[one.correlation_id for one, _ in done])
    await record_audits(tx.session, [
        audit_row(actor=SYSTEM, action="receivable.opened", entity_type="open_item", entity_id=item.invoice_id,
                  after={"amount": item.original_amount, "due_date": item.due_date}, correlation_id=one.correlation_id)
        for one, item in done])
    return [item.invoice_id for _, item in done]


def _open_item(fact: InvoiceIssued, team: str | None) -> ItemRow:
    """The new open item of an issued invoice, as a row (:func:`_values` is what is written; an ORM object cost
    five times as much to build, for nothing: it never joins the session)."""
    zero = Decimal(0)
    return ItemRow(invoice_id=fact.invoice_id, invoice_number=fact.invoice_number, legal_entity=fact.legal_entity,
                   customer_id=fact.customer_id, owning_team=team, region=fact.region, currency=fact.currency,
                   original_amount=fact.amount, open_amount=fact.amount, disputed_amount=zero,
                   issue_date=fact.issue_date, due_date=fact.due_date, status=OpenItemStatus.OPEN, closed_on=None,
                   version=1, entries=1, cash_applied_amount=zero, credited_amount=zero, written_off_amount=zero,
                   po_number=fact.po_number, discount_percent=fact.discount_percent,
                   discount_until=fact.discount_until, match_keys=[])


_WRITTEN = ("invoice_id", "invoice_number", "legal_entity", "customer_id", "owning_team", "region", "currency",
            "original_amount", "open_amount", "disputed_amount", "issue_date", "due_date", "status", "version",
            "entries", "po_number", "discount_percent", "discount_until")


def _values(item: ItemRow) -> dict[str, object]:
    return {name: getattr(item, name) for name in _WRITTEN}


class UnknownReceivable(LookupError):
    """A fact names an invoice the ledger never opened (its invoice.issued was dead-lettered): raised so that the
    record is dead-lettered too and visible, never skipped in silence."""


async def reduce_by_credit_note(tx: Tx, *, fact: CreditNoteIssued, event_id: uuid.UUID) -> bool:
    """A credit note lowers the invoice's open amount from its issue date (capped at what is still open: the amount
    posted is what receivable.changed carries), once: idempotent on the credit note id (a second
    ``credit_note.issued`` for the note under another event id changes nothing; checked under the invoice's lock,
    and a unique index on ``ledger_entries.credit_note_id`` backs it). Nothing left open: audited as
    ``receivable.credit_not_needed``."""
    item = await repository.get(tx.session, invoice_id=fact.invoice_id, for_update=True)
    if item is None:
        raise UnknownReceivable(f"credit note {fact.credit_note_number}: no receivable for invoice {fact.invoice_id}")
    if await repository.credit_note_posted(tx.session, credit_note_id=fact.credit_note_id):
        return False
    amount = min(fact.amount, max(item.open_amount, Decimal(0)))
    if amount <= 0:
        await tx.audit("receivable.credit_not_needed", entity_type="open_item", entity_id=item.invoice_id,
                       after={"credit_note": fact.credit_note_number, "amount": fact.amount, "open_amount": 0})
        return False
    await ledger.post(tx, item=item, kind=EntryKind.CREDIT_NOTE, amount=-amount, effective_date=fact.issue_date,
                      source_event_id=event_id, credit_note_id=fact.credit_note_id, deduction_id=fact.deduction_id,
                      dispute_id=fact.dispute_id, reason=fact.reason, note=f"credit note {fact.credit_note_number}")
    await tx.audit("receivable.credited", entity_type="open_item",
                   entity_id=item.invoice_id, after={"credit_note": fact.credit_note_number, "amount": amount})
    return True


async def get(tx: Tx, *, invoice_id: uuid.UUID, for_update: bool = False) -> OpenItem:
    """The invoice's open item (locked when asked): 404 when it has none, 403 when it is another team's."""
    item = await repository.get(tx.session, invoice_id=invoice_id, for_update=for_update)
    if item is None:
        raise NotFound(f"no receivable for invoice {invoice_id}")
    ensure_team_access(tx.actor, owning_team=item.owning_team)
    return item


async def locked(tx: Tx, invoice_id: uuid.UUID) -> OpenItem:
    """The open item of an invoice the caller already holds a row of (a dispute, a deduction, an application),
    locked; no team check: the caller's row was checked."""
    item = await repository.get(tx.session, invoice_id=invoice_id, for_update=True)
    assert item is not None
    return item


async def movements(tx: Tx, *, invoice_id: uuid.UUID) -> list[LedgerEntryRead]:
    item = await get(tx, invoice_id=invoice_id)
    return [LedgerEntryRead.model_validate(e) for e in await repository.entries(tx.session, invoice_id=item.invoice_id)]


async def list_page(tx: Tx, *, page: PageRequest, customer_id: str | None, team: str | None) -> Page[OpenItemRead]:
    return await repository.list_page(tx.session, page=page, customer_id=customer_id, team=team)


async def balances(tx: Tx, *, by: str, as_of: date, team: str | None, page: PageRequest,
                   customer_id: str | None = None) -> Page[Balance]:
    """Open AR as of ``as_of`` (movements effective up to that day), grouped by ``by`` and currency, one page."""
    if by not in repository.BALANCE_DIMENSIONS:
        raise UnprocessableEntity(f"by must be one of {', '.join(repository.BALANCE_DIMENSIONS)}")
    rows = await repository.balances(tx.session, by=by, as_of=as_of, team=team, customer_id=customer_id, page=page)
    return build_page(rows, page=page, key=lambda r: (r.sort, r.currency), item=lambda r: Balance(
        key=str(r.key) if r.key is not None else None, currency=r.currency,
        open_amount=round_money(r.amount, r.currency), as_of=as_of))


async def open_amounts(tx: Tx, *, after: uuid.UUID | None, limit: int) -> OpenAmountPage:
    """Every invoice's ledger figures ascending by invoice id (keyset after ``after``), for the reconciliation."""
    rows = await repository.open_amounts_after(tx.session, after=after, limit=limit + 1)
    items = [OpenAmountRead.model_validate(row) for row in rows[:limit]]
    return OpenAmountPage(items=items, next_after=items[-1].invoice_id if len(rows) > limit else None)


async def open_amounts_of(tx: Tx, *, invoice_ids: Sequence[uuid.UUID]) -> OpenAmountList:
    """The figures of the invoices among ``invoice_ids`` that have a receivable, ascending by invoice id."""
    rows = await repository.open_amounts_of(tx.session, invoice_ids=invoice_ids)
    return OpenAmountList(items=[OpenAmountRead.model_validate(row) for row in rows])


async def republish(tx: Tx, *, after: uuid.UUID | None, limit: int) -> tuple[int, uuid.UUID | None]:
    """``receivable.changed`` again for every entry of the next ``limit`` invoices (see :func:`ledger.republish`):
    for deployments with history, so invoicing and kpi mirror entries posted before they listened. Safe to run
    again: consumers ignore a sequence they have."""
    return await ledger.republish(tx, after=after, limit=limit)
