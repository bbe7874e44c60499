"""Cash application: runs the engine on a payment with its candidate open items locked, books the decision
(applications, tolerance write-offs, deductions), and manual apply / unapply by a person, all audited."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from o2c_collections.accounts import repository as accounts
from o2c_collections.cashapp import engine, patterns, references, repository
from o2c_collections.cashapp.models import Application, Pattern, Payment, PaymentStatus, RemittanceLine
from o2c_collections.cashapp.reading import fields
from o2c_collections.cashapp.rows import AnyApplication, AnyPayment
from o2c_collections.config import CollectionsSettings
from o2c_collections.deductions import repository as deductions
from o2c_collections.deductions.service import open_deduction
from o2c_collections.promises.service import record_cash
from o2c_collections.receivables import ledger, repository as receivables, service as open_items
from o2c_collections.receivables.models import EntryKind, OpenItem, OpenItemStatus
from o2c_collections.receivables.rows import AnyItem
from o2c_common.auth import visible_team
from o2c_common.buffered import buffering
from o2c_common.entities import load_visible
from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.events.contracts.collections import CashApplication, MatchCandidate, PaymentApplied, PaymentUnapplied
from o2c_common.events.contracts.collections_terms import HISTORY_IMPORT, MatchRule
from o2c_common.money import in_minor_units, round_money
from o2c_common.text import money
from o2c_common.tx import Tx

ENGINE = "system:cash-application"


class OverApplication(Conflict):
    type = "over-application"
    title = "Over-application refused"


@dataclass(frozen=True)
class AutoApplied:
    decision: engine.Decision
    applications: list[Application]


def engine_config(settings: CollectionsSettings) -> engine.Config:
    return engine.Config(tolerance_amount=settings.tolerance_amount, tolerance_percent=settings.tolerance_percent,
                         deduction_band_percent=settings.deduction_band_percent,
                         combination_max_items=settings.combination_max_items,
                         combination_max_size=settings.combination_max_size,
                         combination_node_budget=settings.combination_node_budget)


def _receivable(item: AnyItem) -> Decimal:
    """What cash can still be applied to: the open amount less what is under dispute."""
    return item.open_amount - item.disputed_amount if item.disputed_amount > 0 else item.open_amount


def _as_item(item: AnyItem) -> engine.Item:
    return engine.Item(item.invoice_id, item.invoice_number, item.customer_id, item.currency, _receivable(item),
                       item.due_date, po_number=item.po_number, discount_percent=item.discount_percent,
                       discount_until=item.discount_until)


async def auto_apply(tx: Tx, *, payment: Payment, lines: list[RemittanceLine], settings: CollectionsSettings,
                     group_ids: list[str] | None = None) -> AutoApplied:
    """Decides and books what the engine can prove; the rest stays unapplied with candidates and the evidence of
    the decision. ``group_ids``: the payer's group (:func:`accounts.with_group`) when the caller has read it with
    the account already. Done (and audited) in the engine's name, ``system:cash-application``, whoever booked the
    payment; on the booker's team's invoices only when the booker is team-scoped (a vendor agent)."""
    team = None if tx.actor.sees_all_teams else visible_team(tx.actor)
    booker, tx = tx.actor.subject, tx.acting_as(ENGINE)
    decision, locked = await _decide(tx, payment=payment, lines=lines, settings=settings, group_ids=group_ids,
                                     team=team)
    now = tx.now()
    # the payment's outcome is set before the applications, so its row is updated once with them
    payment.candidates = candidate_rows(decision, locked)
    payment.explanation = f"{decision.rule or 'unapplied'}: {decision.explanation}"
    payment.evidence = [e.as_dict() for e in decision.evidence]
    applications = [await _allocate(tx, payment=payment, item=locked[allocation.invoice_id], allocation=allocation,
                                    decision=decision, lines=lines, booker=booker)
                    for allocation in decision.allocations]
    refresh_status(payment)
    await tx.session.flush()
    await _announce(tx, payment=payment, decision=decision, applications=applications, locked=locked, now=now)
    await tx.audit("payment.auto_applied", entity_type="payment", entity_id=payment.id,
                   after={"rule": decision.rule, "confidence": decision.confidence, "applied": decision.applied,
                          "unapplied": decision.unapplied, "explanation": decision.explanation})
    return AutoApplied(decision, applications)


def _cash(payment: Payment, lines: list[RemittanceLine], customer_id: str | None) -> engine.Cash:
    return engine.Cash(payment.amount, payment.currency, customer_id,
                       tuple(engine.Line(li.reference, li.amount, li.reason_code, li.text) for li in lines),
                       value_date=payment.value_date)


async def _decide(tx: Tx, *, payment: Payment, lines: list[RemittanceLine], settings: CollectionsSettings,
                  group_ids: list[str] | None, team: str | None = None
                  ) -> tuple[engine.Decision, dict[uuid.UUID, OpenItem]]:
    """The engine's decision on the payment, with the candidate open items it may touch, locked (``team``'s only,
    when given). A payment the bank did not attribute is the customer's its payer name was learned as (when
    exactly one; not for a team-scoped booker, whose payer could be another team's customer)."""
    alias_note = None
    if payment.customer_id is None and team is None:
        customer, alias_note = await patterns.customer_by_alias(tx, payer_name=payment.payer_name)
        if customer is not None:
            payment.customer_id = customer
            group_ids = None
    if group_ids is None:
        group_ids = (await accounts.group_members(tx.session, customer_id=payment.customer_id)
                     if payment.customer_id else [])
    payer = [payment.customer_id] if payment.customer_id else []
    formats = await patterns.formats(tx, customer_ids=payer)
    cash = _cash(payment, lines, payment.customer_id)
    keys = match_keys(cash, formats)
    # the payer's and its group's open items, locked, and the ones a remittance key names; of imported history's
    # payer only the invoices it names: the source system says which invoices a payment paid
    rows = await receivables.candidates_for_update(tx.session, customer_ids=[*payer, *group_ids],
                                                   currency=payment.currency, keys=keys, team=team,
                                                   named_only=payment.source == HISTORY_IMPORT)
    decision = choose(cash, rows, group_ids=group_ids, keys=keys, formats=formats, config=engine_config(settings),
                      alias_note=alias_note, payer_name=payment.payer_name)
    return decision, {i.invoice_id: i for i in rows}


def match_keys(cash: engine.Cash, formats: list[engine.Format]) -> list[str]:
    """The keys the remittance of ``cash`` names invoices by (the payer's ``formats`` read too), sorted."""
    return sorted({ref.key for n, line in enumerate(cash.lines) for name, text in fields(line, n)
                   for ref in references.extract(text, field=name, formats=formats)})


def choose(cash: engine.Cash, rows: Sequence[AnyItem], *, group_ids: list[str], keys: list[str],
           formats: list[engine.Format], config: engine.Config, alias_note: str | None,
           payer_name: str | None) -> engine.Decision:
    """The engine's decision over ``rows``: the payer's and its group's open items and the items a key names
    (pure: the per-payment path reads the rows for one payment, the bulk path for a chunk)."""
    own, group, wanted = {cash.customer_id, *group_ids}, set(group_ids), set(keys)

    def payer_item(i: AnyItem) -> bool:
        return i.status == OpenItemStatus.OPEN and i.currency == cash.currency

    # a reference naming another payer's invoice stops the match, even once that invoice is paid; one of the payer's
    # (or its group's) own names nothing once nothing is left to receive, paid or wholly under dispute alike
    referenced_rows = [i for i in rows if wanted.intersection(i.match_keys or ())
                       and (i.customer_id not in own or (i.status == OpenItemStatus.OPEN and _receivable(i) > 0))]
    decision = engine.decide(
        cash, payer_items=[_as_item(i) for i in rows if i.customer_id == cash.customer_id and payer_item(i)],
        group_items=[_as_item(i) for i in rows if i.customer_id in group and payer_item(i)],
        referenced_items=[_as_item(i) for i in referenced_rows], config=config, formats=formats)
    if alias_note:
        decision = dataclasses.replace(decision, evidence=(
            engine.Evidence("payer_name", payer_name or "", "alias", None,
                            "named" if cash.customer_id else "rejected", alias_note), *decision.evidence))
    return decision


def over_application(amount: Decimal, payment: AnyPayment, item: AnyItem) -> str:
    return (f"{money(amount, payment.currency)} exceeds the payment's unapplied "
            f"{money(payment.unapplied_amount, payment.currency)} or the invoice's open "
            f"{money(item.open_amount, item.currency)}")


def candidate_rows(decision: engine.Decision, items: Mapping[uuid.UUID, AnyItem]) -> list[dict[str, str]]:
    """The decision's candidates as the payment keeps and shows them, each open amount in its invoice's minor units
    (``items``: the items decided over, every candidate among them)."""
    return [{"invoice_id": str(c.invoice_id), "invoice_number": c.invoice_number,
             "open_amount": str(round_money(c.open_amount, items[c.invoice_id].currency)), "score": str(c.score)}
            for c in decision.candidates]


def allowances(allocation: engine.Allocation, item: AnyItem) -> list[tuple[Decimal, str, str]]:
    """What an allocation writes off besides the cash, each closing the invoice with it: (amount, reason, note)."""
    out = []
    if allocation.write_off > 0:
        out.append((allocation.write_off, "tolerance", "difference within the bank-fee/FX tolerance"))
    if allocation.discount > 0:
        out.append((allocation.discount, "early_payment_discount",
                    f"{item.discount_percent} % early-payment discount taken by {item.discount_until}"))
    return out


def remittance_reason(allocation: engine.Allocation, item: AnyItem,
                      lines: Sequence[RemittanceLine | engine.Line]) -> str | None:
    """What the payer said of a deduction: the engine's note, else the reason code of the line naming the item."""
    keys = set(references.invoice_keys(item.invoice_number))
    line = next((li for n, li in enumerate(lines) if any(
        ref.key in keys for name, text in fields(engine.Line(li.reference, text=li.text), n)
        for ref in references.extract(text, field=name))), None)
    said = allocation.note or (line.reason_code if line else None)
    return said[:100] if said else None


async def _allocate(tx: Tx, *, payment: Payment, item: OpenItem, allocation: engine.Allocation,
                    decision: engine.Decision, lines: list[RemittanceLine], booker: str) -> Application:
    """One allocation of the decision booked: the application, a tolerance write-off or an early-payment discount
    (both close the invoice with the cash), a deduction (opened by ``booker``, who booked the payment)."""
    application = await _apply(tx, payment=payment, item=item, amount=allocation.amount,
                               rule=decision.rule or "manual", confidence=decision.confidence,
                               explanation=decision.explanation, applied_date=payment.value_date, actor=None)
    for written_off, reason, note in allowances(allocation, item):
        await ledger.post(tx, item=item, kind=EntryKind.TOLERANCE_WRITE_OFF, amount=-written_off,
                          effective_date=payment.value_date, payment_id=payment.id,
                          application_id=application.id, reason=reason, note=note)
    if allocation.deduction > 0:
        await open_deduction(tx, item=item, payment_id=payment.id,
                             amount=allocation.deduction, reason=allocation.deduction_reason or "unclassified",
                             remittance_reason=remittance_reason(allocation, item, lines),
                             opened_date=payment.value_date, opened_by=booker)
    return application


async def _announce(tx: Tx, *, payment: Payment, decision: engine.Decision, applications: list[Application],
                    locked: dict[uuid.UUID, OpenItem], now: datetime) -> None:
    for payload in announcements(payment, decision=decision, applications=applications, locked=locked, now=now):
        await tx.emit(payload)


def announcements(payment: AnyPayment, *, decision: engine.Decision, applications: Sequence[AnyApplication],
                  locked: Mapping[uuid.UUID, AnyItem], now: datetime) -> list[PaymentApplied | PaymentUnapplied]:
    """payment.applied for what was applied, payment.unapplied for what was not."""
    out: list[PaymentApplied | PaymentUnapplied] = []
    written_off = {a.invoice_id: a.write_off + a.discount for a in decision.allocations}
    applied = [CashApplication(application_id=a.id, invoice_id=a.invoice_id,
                               invoice_number=locked[a.invoice_id].invoice_number, amount=a.amount,
                               tolerance_written_off=written_off.get(a.invoice_id, Decimal(0)))
               for a in applications]
    if applied:
        out.append(PaymentApplied(
            payment_id=payment.id, legal_entity=payment.legal_entity, customer_id=payment.customer_id or
            locked[decision.allocations[0].invoice_id].customer_id, currency=payment.currency,
            applications=tuple(applied), value_date=payment.value_date, applied_date=payment.value_date,
            applied_at=now, rule=decision.rule or "manual", confidence=decision.confidence,
            unapplied_balance=payment.unapplied_amount, owning_team=payment.owning_team,
            historical=payment.source == HISTORY_IMPORT))
    if decision.unapplied > 0:
        out.append(PaymentUnapplied(
            payment_id=payment.id, legal_entity=payment.legal_entity, customer_id=payment.customer_id,
            currency=payment.currency, amount=decision.unapplied, unapplied_balance=payment.unapplied_amount,
            reason=decision.reason or ("remainder" if applied else "no_match"),
            candidates=tuple(MatchCandidate(invoice_id=c.invoice_id, invoice_number=c.invoice_number,
                                            open_amount=c.open_amount, score=c.score) for c in decision.candidates),
            unapplied_date=payment.value_date, unapplied_at=now, owning_team=payment.owning_team))
    return out


async def _apply(tx: Tx, *, payment: Payment, item: OpenItem, amount: Decimal, rule: str,
                 confidence: Decimal, explanation: str | None, applied_date: date, actor: str | None) -> Application:
    """Books ``amount`` of the locked payment on the locked item; refuses to over-apply either."""
    if amount > payment.unapplied_amount or amount > item.open_amount:
        raise OverApplication(over_application(amount, payment, item),
                              extensions={"unapplied_amount": str(round_money(payment.unapplied_amount,
                                                                              payment.currency)),
                                          "open_amount": str(round_money(item.open_amount, item.currency))})
    # the payment changes before the first flush below, so its row is written once with the application
    if payment.owning_team is None:  # applied cash belongs to the team owning the invoice's account
        payment.owning_team = item.owning_team
    payment.unapplied_amount -= amount
    payment.version += 1
    refresh_status(payment)
    application = Application(id=uuid.uuid4(), payment_id=payment.id, invoice_id=item.invoice_id, amount=amount,
                              rule=rule, confidence=confidence, explanation=explanation, applied_date=applied_date,
                              applied_by=actor)
    await repository.add_all(tx.session, [application])
    await ledger.post(tx, item=item, kind=EntryKind.PAYMENT, amount=-amount, effective_date=applied_date,
                      payment_id=payment.id, application_id=application.id,
                      reason="manual" if actor else "cash_application")
    await record_cash(tx, customer_id=item.customer_id, currency=item.currency, amount=amount,
                      applied_date=applied_date)
    return application


def refresh_status(payment: AnyPayment) -> None:
    payment.status = (PaymentStatus.APPLIED if payment.unapplied_amount == 0 else
                      PaymentStatus.UNAPPLIED if payment.unapplied_amount == payment.amount
                      else PaymentStatus.PARTIALLY_APPLIED)


async def lock(tx: Tx, payment_id: uuid.UUID) -> Payment:
    """The payment locked for applying or unapplying its cash (404, or 403 when it is another team's)."""
    return await load_visible(tx, Payment, payment_id, for_update=True)


async def apply_manually(tx: Tx, payment: Payment, *, invoice_id: uuid.UUID, amount: Decimal,
                         applied_date: date | None, reason: str | None, learn: bool = True) -> Application:
    """Applies ``amount`` of the locked ``payment`` to the invoice by hand (rule ``manual``); ``learn``: remember
    how the payer names itself and writes the invoice's number (:mod:`patterns`)."""
    item = await open_items.get(tx, invoice_id=invoice_id, for_update=True)
    async with buffering(tx) as buffered:  # its events and audit entries in one statement each
        application = await _apply_by_hand(buffered, payment, item=item, amount=amount, applied_date=applied_date,
                                           reason=reason)
        if learn:
            await patterns.learn(buffered, payment=payment, item=item,
                                 lines=await repository.lines(tx.session, payment_id=payment.id))
    return application


class NotACandidate(UnprocessableEntity):
    type = "not-a-candidate"
    title = "Not a candidate of the payment"


async def confirm(tx: Tx, payment: Payment, *, invoice_ids: list[uuid.UUID], reason: str | None,
                  learn: bool) -> tuple[list[Application], list[Pattern]]:
    """A person confirms candidates of the locked ``payment`` in one call: each invoice, in the order given, gets
    what is open of it, at most what is left of the payment; the payer's patterns are learned from each."""
    offered = {c["invoice_id"] for c in payment.candidates}
    unknown = [str(i) for i in invoice_ids if str(i) not in offered]
    if unknown or len(set(invoice_ids)) != len(invoice_ids):
        raise NotACandidate("confirm only the payment's candidates, each once (apply other invoices with "
                            "POST /payments/{id}/applications)", extensions={"not_candidates": unknown})
    lines = await repository.lines(tx.session, payment_id=payment.id)
    applications, learned = [], []
    for invoice_id in invoice_ids:
        item = await open_items.get(tx, invoice_id=invoice_id, for_update=True)
        amount = min(_receivable(item), payment.unapplied_amount)
        if amount <= 0:
            raise OverApplication(f"nothing left to apply to {item.invoice_number}: the payment has "
                                  f"{money(payment.unapplied_amount, payment.currency)} unapplied, the invoice "
                                  f"{money(item.open_amount, item.currency)} open")
        applications.append(await _apply_by_hand(tx, payment, item=item, amount=amount, applied_date=None,
                                                 reason=reason or "candidate confirmed"))
        if learn:
            learned += await patterns.learn(tx, payment=payment, item=item, lines=lines)
    return applications, learned


async def _apply_by_hand(tx: Tx, payment: Payment, *, item: OpenItem, amount: Decimal, applied_date: date | None,
                         reason: str | None) -> Application:
    invoice_id = item.invoice_id
    if item.currency != payment.currency:
        raise Conflict(f"the payment is in {payment.currency}, the invoice in {item.currency}",
                       type="currency-mismatch", title="Currency mismatch")
    if not in_minor_units(amount, payment.currency):
        raise UnprocessableEntity(f"{amount} {payment.currency} has digits below the currency's minor unit",
                                  type="finer-than-minor-unit", title="Amount finer than the currency allows")
    when = applied_date or payment.value_date
    subject = tx.actor.subject
    application = await _apply(tx, payment=payment, item=item, amount=amount, rule="manual",
                               confidence=Decimal(1), explanation=reason, applied_date=when, actor=subject)
    refresh_status(payment)
    await tx.session.flush()
    await tx.emit(PaymentApplied(
        payment_id=payment.id, legal_entity=payment.legal_entity, customer_id=item.customer_id,
        currency=payment.currency, applications=(CashApplication(
            application_id=application.id, invoice_id=item.invoice_id, invoice_number=item.invoice_number,
            amount=amount),), value_date=payment.value_date, applied_date=when, applied_at=tx.now(),
        rule="manual", confidence=Decimal(1), applied_by=subject,
        unapplied_balance=payment.unapplied_amount, owning_team=payment.owning_team))
    await tx.audit("payment.applied_manually", entity_type="payment", entity_id=payment.id, reason=reason,
                   after={"invoice_id": invoice_id, "amount": amount, "application_id": application.id})
    return application


async def reverse(tx: Tx, payment: Payment, *, application_id: uuid.UUID, reason: str,
                  unapplied_date: date | None) -> Payment:
    """Unapplies one application of the locked ``payment``: the invoice's open amount rises again, by the cash and
    by the tolerance or early-payment discount written off with it. Refused while a deduction the payment opened on
    the invoice is unresolved: a person decides it first (``recovered``, if the cash never came)."""
    application = await repository.application(tx.session, application_id=application_id)
    if application is None or application.payment_id != payment.id:
        raise NotFound(f"application {application_id} of payment {payment.id} does not exist")
    if application.reversed_at is not None:
        raise Conflict("the application was already reversed", type="already-reversed", title="Already reversed")
    item = await open_items.locked(tx, application.invoice_id)
    pending = await deductions.unresolved_of(tx.session, payment_id=payment.id, invoice_id=item.invoice_id)
    if pending:
        held = ", ".join(f"{d.id} ({'disputed' if d.dispute_id else d.status}, {money(d.amount, d.currency)})"
                         for d in pending)
        raise Conflict(f"the payment's deduction on {item.invoice_number} is unresolved: {held}; resolve it before "
                       "reversing the application", type="deduction-unresolved", title="Deduction unresolved")
    when = unapplied_date or tx.now().date()
    now, subject = tx.now(), tx.actor.subject
    await ledger.post(tx, item=item, kind=EntryKind.REVERSAL, amount=application.amount, effective_date=when,
                      payment_id=payment.id, application_id=application.id, reason="reversed", note=reason)
    allowances = await receivables.allowances_of(tx.session, application_id=application.id)
    for allowance in allowances:
        await ledger.post(tx, item=item, kind=EntryKind.TOLERANCE_WRITE_OFF, amount=-allowance.amount,
                          effective_date=when, payment_id=payment.id, application_id=application.id,
                          reason=allowance.reason, note=f"reversed with application {application.id}: {reason}"[:500])
    application.reversed_at, application.reversed_by = now, subject
    payment.unapplied_amount += application.amount
    payment.version += 1
    refresh_status(payment)
    await tx.session.flush()
    await tx.emit(PaymentUnapplied(  # the customer the application was announced for, if the payer is unnamed
        payment_id=payment.id, legal_entity=payment.legal_entity, customer_id=payment.customer_id or item.customer_id,
        currency=payment.currency, amount=application.amount, unapplied_balance=payment.unapplied_amount,
        reason="reversed", reversed_applications=(CashApplication(
            application_id=application.id, invoice_id=item.invoice_id, invoice_number=item.invoice_number,
            amount=application.amount, rule=cast(MatchRule, application.rule)),),
        unapplied_date=when, unapplied_at=now, unapplied_by=subject, owning_team=payment.owning_team))
    await tx.audit("payment.unapplied", entity_type="payment", entity_id=payment.id, reason=reason,
                   before={"application_id": application.id, "amount": application.amount,
                           "written_off_with_it": -sum((a.amount for a in allowances), Decimal(0))})
    return payment
