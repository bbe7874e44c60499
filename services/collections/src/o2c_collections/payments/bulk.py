"""Payments booked in bulk: a bank-file import's chunk and ``POST /payments/batch``.

The same booking as :func:`service.book`, payment by payment in the order given, with the same validation, dedupe
keys, decisions, rows, events and audit entries, written with a few multi-row statements per chunk instead of a
dozen statements per payment: the chunk's dedupe keys are looked up in one statement, what cash application reads
in six (:mod:`o2c_collections.cashapp.chunk`), and the payments, remittance lines, applications, ledger entries,
open items, audit entries and outbox rows are each written in one multi-row statement. A payment whose decision
meets an open promise to pay is booked by the per-payment path in its place (what the chunk
gathered before it is written first, so every row and event stays in order). The caller runs a chunk in a
savepoint: one that fails books nothing of itself (:func:`book_chunk`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from o2c_collections.cashapp.chunk import Applied, load
from o2c_collections.cashapp.engine import Cash
from o2c_collections.cashapp.models import Application, PaymentStatus, RemittanceLine
from o2c_collections.cashapp.rows import PAYMENT_COLUMNS, PaymentRow
from o2c_collections.cashapp.service import ENGINE, engine_config
from o2c_collections.config import CollectionsSettings
from o2c_collections.deductions.models import Deduction
from o2c_collections.payments import repository
from o2c_collections.payments.parsers import ParsedPayment
from o2c_collections.payments.schemas import BatchRowStatus as RowStatus
from o2c_collections.payments.service import book, dedupe_key
from o2c_collections.receivables import repository as receivables
from o2c_collections.receivables.models import LedgerEntry
from o2c_collections.receivables.rows import ItemRow
from o2c_common.audit.log import audit_row, record_audits
from o2c_common.auth import ensure_team_access, visible_team
from o2c_common.errors import Conflict, DomainError
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.collections import PaymentReceived
from o2c_common.events.contracts.collections_terms import HISTORY_IMPORT
from o2c_common.observability.correlation import get_correlation_id
from o2c_common.tx import Tx


@dataclass(frozen=True)
class Outcome:
    status: RowStatus
    payment_id: uuid.UUID | None = None
    applied: bool = False
    problem: DomainError | None = None


def duplicate(tx: Tx, payment_id: uuid.UUID, owner: str | None) -> Outcome:
    """A row booked before: with the earlier payment's id only when the booker sees its team (``POST /payments``
    answers another team's duplicate with a 409 and no id)."""
    shown = tx.actor.sees_all_teams or owner == visible_team(tx.actor)
    return Outcome(RowStatus.DUPLICATE, payment_id if shown else None)


class BookedMeanwhile(Conflict):
    type = "booked-meanwhile"
    title = "A payment of the chunk was booked meanwhile"


@dataclass
class Pending:
    """Rows and events gathered for the chunk, written in one statement per table, in the order gathered."""

    payments: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    postings: list[dict[str, Any]] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    events: list[EventPayload] = field(default_factory=list)
    items: dict[uuid.UUID, ItemRow] = field(default_factory=dict)

    def add(self, tx: Tx, payment: PaymentRow, parsed: ParsedPayment, received: PaymentReceived,
            applied: Applied) -> None:
        self.payments.append({c: getattr(payment, c) for c in PAYMENT_COLUMNS})
        self.lines += [{"id": uuid.uuid4(), "payment_id": payment.id, "position": n, "reference": li.reference,
                        "amount": li.amount, "reason_code": li.reason_code, "text": li.text}
                       for n, li in enumerate(parsed.lines)]
        self.applications += applied.applications
        self.postings += applied.postings
        self.deductions += applied.deductions
        self.events += [received, *applied.events]
        self.items.update((item.invoice_id, item) for item in applied.items)
        correlation = get_correlation_id()
        self.audits += [
            _audit(tx.actor.subject, "payment.received", payment.id, correlation,
                   {"amount": payment.amount, "currency": payment.currency, "source": payment.source}),
            *(_audit(ENGINE, action, entity_id, correlation, after, entity_type=entity_type)
              for action, entity_type, entity_id, after in applied.audits)]

    async def write(self, tx: Tx) -> None:
        session = tx.session
        if not await repository.insert_payments(session, self.payments):
            raise BookedMeanwhile("another booking wrote one of the chunk's payments meanwhile; retry the chunk")
        await repository.insert_rows(session, RemittanceLine, self.lines)
        await repository.insert_rows(session, Application, self.applications)
        await repository.insert_rows(session, LedgerEntry, self.postings)
        await repository.insert_rows(session, Deduction, self.deductions)
        await receivables.update_items(session, list(self.items.values()))
        await record_audits(session, self.audits)
        await tx.emit_many(self.events)
        for rows in (self.payments, self.lines, self.applications, self.postings, self.deductions, self.audits,
                     self.events, self.items):
            rows.clear()


def _audit(actor: str, action: str, entity_id: uuid.UUID, correlation: str | None, after: dict[str, Any], *,
           entity_type: str = "payment") -> dict[str, Any]:
    return audit_row(actor=actor, action=action, entity_type=entity_type, entity_id=entity_id, after=after,
                     correlation_id=correlation)


async def book_chunk(tx: Tx, rows: Sequence[ParsedPayment], *, legal_entity: str | Sequence[str], source: str,
                     import_id: uuid.UUID | None, settings: CollectionsSettings,
                     keys: Sequence[str | None] | None = None) -> list[Outcome]:
    """Books ``rows`` in order (received in ``tx.actor``'s name, as :func:`service.book` would one by one): one
    outcome per row. ``keys``: a row's dedupe key when not its bank reference or fingerprint (API rows). A row a
    team-scoped booker may not book is a problem of its own; any other failure fails the whole chunk.
    ``legal_entity``: the file's, or each row's."""
    session = tx.session
    entities = [legal_entity] * len(rows) if isinstance(legal_entity, str) else list(legal_entity)
    keyed = [key or dedupe_key(entity, row)
             for key, entity, row in zip(keys or [None] * len(rows), entities, rows, strict=True)]
    booked = await repository.booked_keys(session, keys=keyed)
    team = None if tx.actor.sees_all_teams else visible_team(tx.actor)
    outcomes: list[Outcome | None] = [None] * len(rows)
    ids: dict[str, uuid.UUID] = {}
    todo: list[int] = []
    for n, key in enumerate(keyed):
        if key in booked:
            outcomes[n] = duplicate(tx, *booked[key])
        elif key in ids:
            outcomes[n] = Outcome(RowStatus.DUPLICATE, ids[key])
        else:
            ids[key] = uuid.uuid4()
            todo.append(n)
    chunk = await load(tx, [_cash(rows[n]) for n in todo], [rows[n].payer_name for n in todo], team=team,
                       config=engine_config(settings), named_only=source == HISTORY_IMPORT)
    now, pending = tx.now(), Pending()
    for m, n in enumerate(todo):
        parsed, key = rows[n], keyed[n]
        account = chunk.account(parsed.customer_id)
        owning_team = account.owning_team if account else None
        if not tx.actor.sees_all_teams:
            owning_team = owning_team if account else visible_team(tx.actor)
            try:
                ensure_team_access(tx.actor, owning_team=owning_team)
            except DomainError as exc:
                outcomes[n] = Outcome(RowStatus.PROBLEM, problem=exc)
                continue
        payment = PaymentRow(id=ids[key], dedupe_key=key, legal_entity=entities[n], customer_id=parsed.customer_id,
                          payer_name=parsed.payer_name, owning_team=owning_team, currency=parsed.currency,
                          amount=parsed.amount, unapplied_amount=parsed.amount, value_date=parsed.value_date,
                          source=source, bank_reference=parsed.bank_reference, import_id=import_id,
                          status=PaymentStatus.UNAPPLIED, candidates=[], explanation=None, evidence=[], version=1)
        received = _received(payment, parsed, now=now)
        applied = chunk.apply(payment, m, booker=tx.actor.subject, now=now)
        if applied is None:  # an open promise: the per-payment path, after what came before it
            await pending.write(tx)
            done = await book(tx, parsed=parsed, legal_entity=entities[n], source=source, import_id=import_id,
                              settings=settings, key=key)
            await session.flush()
            await receivables.refresh_items(session, chunk.items)  # what it moved of the chunk's items
            outcomes[n] = (Outcome(RowStatus.CREATED, done.payment.id, done.applied) if done.payment
                           else Outcome(RowStatus.DUPLICATE))
            continue
        pending.add(tx, payment, parsed, received, applied)
        outcomes[n] = Outcome(RowStatus.CREATED, payment.id, bool(applied.applications))
    await pending.write(tx)
    return [o or Outcome(RowStatus.PROBLEM) for o in outcomes]


def _cash(parsed: ParsedPayment) -> Cash:
    return Cash(parsed.amount, parsed.currency, parsed.customer_id, parsed.lines, value_date=parsed.value_date)


def _received(payment: PaymentRow, parsed: ParsedPayment, *, now: Any) -> PaymentReceived:
    """payment.received as :func:`service.book` announces it: the payment as the bank gave it."""
    return PaymentReceived(
        payment_id=payment.id, legal_entity=payment.legal_entity, customer_id=payment.customer_id,
        payer_name=payment.payer_name, currency=payment.currency, amount=payment.amount,
        value_date=payment.value_date, received_at=now, source=payment.source,
        bank_reference=payment.bank_reference, owning_team=payment.owning_team,
        remittance_references=tuple(li.reference for li in parsed.lines if li.reference))
