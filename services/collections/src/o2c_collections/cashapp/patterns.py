"""Payer-specific patterns learned from manual applications: the payer's name on bank statements (an alias: cash
from that name is the customer's) and the payer's way of writing invoice numbers (a reference format). Used by the
engine with the same never-guess rule (a format only names an invoice of the payer or its group; an alias shared
by two customers names neither), listed and removable by a person."""

from __future__ import annotations

import uuid

from o2c_collections.cashapp import repository
from o2c_collections.cashapp.models import Pattern, PatternKind, Payment, RemittanceLine
from o2c_collections.cashapp.references import Format, learn_format, normalise, tokens
from o2c_collections.cashapp.schemas import PatternRead
from o2c_collections.receivables.models import OpenItem
from o2c_common.entities import load_visible
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx

MAX_FORMATS_PER_APPLICATION = 3


async def formats(tx: Tx, *, customer_ids: list[str]) -> list[Format]:
    rows = await repository.patterns_of(tx.session, customer_ids=customer_ids, kind=PatternKind.REFERENCE_FORMAT)
    return [Format(id=str(p.id), pattern=p.value, number=p.number or "", width=p.width or 1) for p in rows]


async def customer_by_alias(tx: Tx, *, payer_name: str | None) -> tuple[str | None, str | None]:
    """The customer a payer name was learned as, and the evidence: None when unknown or shared by several."""
    value = normalise(payer_name)
    if not value:
        return None, None
    customers = await repository.alias_customers(tx.session, value=value)
    if len(customers) == 1:
        return customers[0], f"payer name {payer_name!r} learned as customer {customers[0]}"
    if customers:
        return None, f"payer name {payer_name!r} was learned for {len(customers)} customers: not used"
    return None, None


async def learn(tx: Tx, *, payment: Payment, item: OpenItem, lines: list[RemittanceLine]) -> list[Pattern]:
    """What a person's application of ``payment`` to ``item`` teaches: the alias when the bank did not name the
    payer, and the formats of tokens that stand for the invoice's number in the payer's own way. An alias names the
    customer of every team's cash from that name, so only a person who sees every team teaches one (a vendor
    agent's application would let one team's word route, or silence, another's cash)."""
    customer = payment.customer_id or item.customer_id
    learned: list[Pattern] = []
    name = normalise(payment.payer_name)
    if payment.customer_id is None and name and tx.actor.sees_all_teams:
        learned += await _add(tx, payment=payment, item=item, customer=customer, kind=PatternKind.ALIAS,
                              value=name[:200], example=payment.payer_name or "")
    seen: set[str] = set()
    for line in lines:
        for token in tokens(" ".join(t for t in (line.reference, line.text) if t)):
            found = learn_format(token, item.invoice_number)
            if found is None or found.pattern in seen or len(seen) >= MAX_FORMATS_PER_APPLICATION:
                continue
            seen.add(found.pattern)
            learned += await _add(tx, payment=payment, item=item, customer=customer,
                                  kind=PatternKind.REFERENCE_FORMAT, value=found.pattern, example=token,
                                  number=found.number, width=found.width)
    return learned


async def _add(tx: Tx, *, payment: Payment, item: OpenItem, customer: str, kind: PatternKind, value: str,
               example: str, number: str | None = None, width: int | None = None) -> list[Pattern]:
    pattern = await repository.add_pattern(tx.session, {
        "id": uuid.uuid4(), "customer_id": customer, "kind": kind, "value": value, "number": number, "width": width,
        "example": example[:200], "invoice_number": item.invoice_number, "payment_id": payment.id,
        "owning_team": item.owning_team, "learned_by": tx.actor.subject, "learned_at": tx.now()})
    if pattern is None:
        return []
    await tx.audit("cashapp.pattern_learned", entity_type="cashapp_pattern", entity_id=pattern.id,
                   after={"customer_id": customer, "kind": kind, "value": value, "example": example,
                          "invoice_number": item.invoice_number, "payment_id": payment.id})
    return [pattern]


async def page(tx: Tx, *, page: PageRequest, customer_id: str | None, team: str | None) -> Page[PatternRead]:
    return await repository.pattern_page(tx.session, page=page, customer_id=customer_id, team=team)


async def remove(tx: Tx, pattern_id: uuid.UUID) -> None:
    """Forgets a pattern (404, or 403 when it is another team's); audited with what it was."""
    pattern = await load_visible(tx, Pattern, pattern_id, for_update=True)
    before = PatternRead.model_validate(pattern).model_dump(mode="json")
    await repository.delete_pattern(tx.session, pattern)
    await tx.audit("cashapp.pattern_removed", entity_type="cashapp_pattern", entity_id=pattern_id, before=before)
