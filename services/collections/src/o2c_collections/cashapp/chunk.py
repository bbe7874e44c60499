"""Cash application over a chunk of payments (bank-file imports, ``POST /payments/batch``).

What the per-payment path reads with a few statements for each payment — the payer's alias, account and group,
reference formats, its open items (locked) and the items its remittance names — is read set-wise once for the
whole chunk (:func:`load`: six statements). Each payment is then decided in memory, in file order, by the same
call as the per-payment path (:func:`service.choose`), over the items as the payments before it left them, and its
applications, ledger postings and events are produced as rows (:meth:`Chunk.apply`) for the caller to write with
multi-row statements, deductions included. Cash for a customer with an open promise to pay is left to the
per-payment path (:meth:`Chunk.apply` answers None): it is rare and changes the promises.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from o2c_collections.accounts import repository as accounts
from o2c_collections.accounts.models import Account
from o2c_collections.cashapp import engine, repository
from o2c_collections.cashapp.models import PatternKind
from o2c_collections.cashapp.references import Format, normalise
from o2c_collections.cashapp.rows import APPLICATION_COLUMNS, ApplicationRow, PaymentRow
from o2c_collections.cashapp.service import (
    ENGINE,
    OverApplication,
    allowances,
    announcements,
    candidate_rows,
    choose,
    match_keys,
    over_application,
    refresh_status,
    remittance_reason,
)
from o2c_collections.deductions.models import Deduction
from o2c_collections.deductions.service import new_deduction, opened
from o2c_collections.promises import repository as promises
from o2c_collections.receivables import ledger, repository as receivables
from o2c_collections.receivables.models import EntryKind, OpenItemStatus
from o2c_collections.receivables.rows import ItemRow
from o2c_common.events.base import EventPayload
from o2c_common.tx import Tx


@dataclass(frozen=True)
class Prepared:
    """One payment as the engine reads it: the payer (the bank's, else the one its name was learned as), the
    payer's group, the keys its remittance names invoices by and the payer's formats."""

    cash: engine.Cash
    payer_name: str | None
    group_ids: list[str]
    keys: list[str]
    formats: list[Format]
    alias_note: str | None


@dataclass
class Applied:
    """What cash application of one payment writes: rows and events, in the order the per-payment path writes."""

    applications: list[dict[str, Any]] = field(default_factory=list)
    postings: list[dict[str, Any]] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)
    events: list[EventPayload] = field(default_factory=list)
    audits: list[tuple[str, str, uuid.UUID, dict[str, Any]]] = field(default_factory=list)  # in the engine's name
    items: list[ItemRow] = field(default_factory=list)  # the items moved, to be written back
    decision: engine.Decision | None = None


@dataclass
class Chunk:
    team: str | None
    config: engine.Config
    accounts: dict[str, Account]
    prepared: list[Prepared]
    items: list[ItemRow]
    own: dict[tuple[str, str], list[ItemRow]]
    keyed: dict[str, list[ItemRow]]
    promising: set[str]

    def account(self, customer_id: str | None) -> Account | None:
        return self.accounts.get(customer_id) if customer_id else None

    def decide(self, n: int) -> tuple[engine.Decision, dict[uuid.UUID, ItemRow]]:
        """The engine's decision on the chunk's ``n``-th payment over the items as they are now."""
        prep = self.prepared[n]
        cash = prep.cash
        own = [cash.customer_id, *prep.group_ids] if cash.customer_id else []
        found = {i.invoice_id: i for i in sorted(
            (i for c in own for i in self.own.get((c, cash.currency), ()) if i.status == OpenItemStatus.OPEN),
            key=lambda i: i.invoice_id)}
        for key in prep.keys:
            for item in self.keyed.get(key, ()):
                found.setdefault(item.invoice_id, item)
        return choose(cash, list(found.values()), group_ids=prep.group_ids, keys=prep.keys, formats=prep.formats,
                      config=self.config, alias_note=prep.alias_note, payer_name=prep.payer_name), found

    def apply(self, payment: PaymentRow, n: int, *, booker: str, now: datetime) -> Applied | None:
        """The ``n``-th payment decided and applied in memory (``payment`` and the items updated), booked by
        ``booker``; None when the decision needs the per-payment path (a customer with an open promise), nothing
        changed."""
        decision, locked = self.decide(n)
        if any(locked[a.invoice_id].customer_id in self.promising for a in decision.allocations):
            return None
        payment.customer_id = self.prepared[n].cash.customer_id
        payment.candidates = candidate_rows(decision, locked)
        payment.explanation = f"{decision.rule or 'unapplied'}: {decision.explanation}"
        payment.evidence = [e.as_dict() for e in decision.evidence]
        out = Applied(decision=decision)
        lines = self.prepared[n].cash.lines
        applications = []
        for allocation in decision.allocations:  # each as the per-payment path: applied, written off, deducted
            item = locked[allocation.invoice_id]
            out.items.append(item)
            applications.append(self._allocate(out, payment, item, allocation, decision, now))
            if allocation.deduction > 0:
                self._deduct(out, payment, item, allocation, lines, booker, now)
        refresh_status(payment)
        out.events += announcements(payment, decision=decision, applications=applications, locked=locked, now=now)
        out.audits.append(("payment.auto_applied", "payment", payment.id, {
            "rule": decision.rule, "confidence": decision.confidence, "applied": decision.applied,
            "unapplied": decision.unapplied, "explanation": decision.explanation}))
        return out

    @staticmethod
    def _deduct(out: Applied, payment: PaymentRow, item: ItemRow, allocation: engine.Allocation,
                lines: Sequence[engine.Line], booker: str, now: datetime) -> None:
        deduction = new_deduction(item, payment_id=payment.id, amount=allocation.deduction,
                                  reason=allocation.deduction_reason or "unclassified",
                                  remittance_reason=remittance_reason(allocation, item, lines),
                                  opened_date=payment.value_date, owner=None, opened_by=booker)
        out.deductions.append({c: getattr(deduction, c) for c in DEDUCTION_COLUMNS})
        out.events.append(opened(deduction, now=now))
        out.audits.append(("deduction.opened", "deduction", deduction.id, {
            "invoice": item.invoice_number, "amount": deduction.amount, "reason": deduction.reason}))

    def _allocate(self, out: Applied, payment: PaymentRow, item: ItemRow, allocation: engine.Allocation,
                  decision: engine.Decision, now: datetime) -> ApplicationRow:
        amount = allocation.amount
        if amount > payment.unapplied_amount or amount > item.open_amount:
            raise OverApplication(over_application(amount, payment, item))
        if payment.owning_team is None:  # applied cash belongs to the team owning the invoice's account
            payment.owning_team = item.owning_team
        payment.unapplied_amount -= amount
        payment.version += 1
        application = ApplicationRow(id=uuid.uuid4(), payment_id=payment.id, invoice_id=item.invoice_id,
                                     amount=amount, rule=decision.rule or "manual", confidence=decision.confidence,
                                     explanation=decision.explanation, applied_date=payment.value_date,
                                     applied_by=None)
        out.applications.append({c: getattr(application, c) for c in APPLICATION_COLUMNS})
        self._post(out, item, EntryKind.PAYMENT, -amount, payment, application.id, "cash_application", None, now)
        for written_off, reason, note in allowances(allocation, item):
            self._post(out, item, EntryKind.TOLERANCE_WRITE_OFF, -written_off, payment, application.id, reason,
                       note, now)
        return application

    @staticmethod
    def _post(out: Applied, item: ItemRow, kind: EntryKind, amount: Any, payment: PaymentRow,
              application_id: uuid.UUID, reason: str, note: str | None, now: datetime) -> None:
        totals = ledger.move(item, kind=kind, amount=amount, effective_date=payment.value_date)
        posting = ledger.Posting(invoice_id=item.invoice_id, sequence=item.entries, kind=kind, amount=amount,
                                 effective_date=payment.value_date, posted_by=ENGINE, payment_id=payment.id,
                                 application_id=application_id, reason=reason, note=note)
        out.postings.append(posting.row(item))
        out.events.append(ledger.changed(item, posting, totals, posted_by=ENGINE, posted_at=now))


DEDUCTION_COLUMNS = tuple(c.key for c in Deduction.__table__.columns if c.key != "opened_at")


async def load(tx: Tx, cash: Sequence[engine.Cash], payer_names: Sequence[str | None], *, team: str | None,
               config: engine.Config, named_only: bool = False) -> Chunk:
    """Everything the chunk's payments are decided on, read set-wise; the payers' open items locked (``named_only``:
    those the remittances name, for imported history, as :func:`service.auto_apply` does)."""
    session = tx.session
    names = {normalise(name) for c, name in zip(cash, payer_names, strict=True)
             if c.customer_id is None and team is None} - {""}
    aliases = await repository.alias_customers_of(session, values=sorted(names))
    payers = [_payer(name, aliases) if c.customer_id is None and team is None else (c.customer_id, None)
              for c, name in zip(cash, payer_names, strict=True)]
    customers = sorted({customer for customer, _ in payers if customer})
    rows = await accounts.groups_of(session, customer_ids=customers)
    by_id = {a.customer_id: a for a in rows}
    children: dict[str, set[str]] = defaultdict(set)
    for a in rows:
        if a.parent_customer_id:
            children[a.parent_customer_id].add(a.customer_id)
    formats: dict[str, list[Format]] = defaultdict(list)
    for p in await repository.patterns_of(session, customer_ids=customers, kind=PatternKind.REFERENCE_FORMAT):
        formats[p.customer_id].append(Format(id=str(p.id), pattern=p.value, number=p.number or "",
                                             width=p.width or 1))
    prepared = []
    for c, name, (customer, note) in zip(cash, payer_names, payers, strict=True):
        group = _group(customer, by_id, children) if customer else []
        found = dataclasses.replace(c, customer_id=customer) if customer != c.customer_id else c
        fmts = formats.get(customer, []) if customer else []
        prepared.append(Prepared(found, name, group, match_keys(found, fmts), fmts, note))
    wanted = sorted({k for p in prepared for k in p.keys})
    items = await receivables.chunk_items_for_update(
        session, customer_ids=sorted({c for p in prepared if p.cash.customer_id
                                      for c in (p.cash.customer_id, *p.group_ids)}),
        currencies=sorted({c.currency for c in cash}), keys=wanted, team=team, named_only=named_only)
    own: dict[tuple[str, str], list[ItemRow]] = defaultdict(list)
    keyed: dict[str, list[ItemRow]] = defaultdict(list)
    keys = set(wanted)
    for item in items:
        if item.status == OpenItemStatus.OPEN:
            own[(item.customer_id, item.currency)].append(item)
        for key in keys.intersection(item.match_keys or ()):
            keyed[key].append(item)
    promising = await promises.customers_promising(session, customer_ids=sorted({i.customer_id for i in items}))
    return Chunk(team, config, by_id, prepared, items, own, keyed, promising)


def _payer(name: str | None, aliases: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """:func:`patterns.customer_by_alias` over the aliases read for the chunk."""
    value = normalise(name)
    customers = aliases.get(value, []) if value else []
    if len(customers) == 1:
        return customers[0], f"payer name {name!r} learned as customer {customers[0]}"
    if customers:
        return None, f"payer name {name!r} was learned for {len(customers)} customers: not used"
    return None, None


def _group(customer_id: str, by_id: dict[str, Account], children: dict[str, set[str]]) -> list[str]:
    """:func:`accounts.with_group`'s members over the accounts read for the chunk."""
    account = by_id.get(customer_id)
    root = account.parent_customer_id if account and account.parent_customer_id else customer_id
    return sorted((children.get(root, set()) | {root}) - {customer_id})
