"""Overdue escalation: rules as data, evaluated by a run (API and background) per customer and currency. A rule
met opens a **breach** and emits ``balance.overdue_escalated`` once: the breach row (at most one open per rule,
customer and currency, a partial unique index; insert ``ON CONFLICT DO NOTHING``) is the proof it was emitted, so
a second run emits nothing. A breach no longer met is cleared; meeting the rule again later is a new breach."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from o2c_collections import rules
from o2c_collections.escalations import repository
from o2c_collections.escalations.models import BreachStatus, EscalationRule
from o2c_collections.escalations.schemas import BreachRead, RuleRead, RuleWrite, RunResult
from o2c_collections.receivables.models import OpenItem
from o2c_common.events.contracts.collections import BalanceOverdueEscalated
from o2c_common.http import Page, PageRequest
from o2c_common.money import round_money
from o2c_common.tx import Tx

SYSTEM = "system:overdue-escalation"
BREACH_NAMESPACE = uuid.UUID("7b0c5a8e-2f7d-4d0e-9a57-1c2f0e3b9a11")


async def put_rule(tx: Tx, *, rule_id: str, data: RuleWrite) -> RuleRead:
    return RuleRead.model_validate(await rules.put(tx, EscalationRule, rule_id=rule_id, values=data.model_dump(),
                                                   entity_type="escalation_rule"))


async def list_rules(tx: Tx) -> list[RuleRead]:
    return [RuleRead.model_validate(r) for r in await repository.rules(tx.session)]


def _met(rule: EscalationRule, items: list[OpenItem], *, as_of: date,
         broken: int) -> tuple[Decimal, int, list[OpenItem]] | None:
    """(overdue amount, max days past due, items) when every condition of the rule holds, else None."""
    threshold = rule.min_days_past_due or 1
    counted = [i for i in items if (as_of - i.due_date).days >= threshold]
    amount = sum((i.open_amount - i.disputed_amount for i in counted), Decimal(0))
    if not counted or amount <= 0:
        return None
    if rule.min_overdue_amount is not None and amount < rule.min_overdue_amount:
        return None
    if rule.min_broken_promises is not None and broken < rule.min_broken_promises:
        return None
    return amount, max((as_of - i.due_date).days for i in counted), counted


async def run(tx: Tx, *, as_of: date) -> RunResult:
    """Opens a breach per rule met (``balance.overdue_escalated``) and clears the breaches no longer met, in
    ``tx.actor``'s name (the supervisor who asked, or ``system:overdue-escalation`` for the daily run)."""
    session = tx.session
    groups: dict[tuple[str, str], list[OpenItem]] = defaultdict(list)
    for item in await repository.overdue_items(session, as_of=as_of):
        groups[(item.customer_id, item.currency)].append(item)
    broken = await repository.broken_promises(session, as_of=as_of)
    escalated = already = cleared = 0
    now = tx.now()
    for rule in await repository.rules(session):
        met_keys: set[tuple[str, str]] = set()
        for (customer_id, currency), items in groups.items():
            met = _met(rule, items, as_of=as_of, broken=broken.get(customer_id, 0))
            if met is None:
                continue
            met_keys.add((customer_id, currency))
            amount, days, counted = met
            breach_id = uuid.uuid5(BREACH_NAMESPACE, f"{rule.id}|{customer_id}|{currency}|{as_of.isoformat()}")
            if not await repository.insert_breach(session, {
                    "id": breach_id, "rule_id": rule.id, "customer_id": customer_id, "currency": currency,
                    "status": BreachStatus.OPEN, "opened_on": as_of}):
                already += 1
                continue
            escalated += 1
            first = counted[0]
            await tx.emit(BalanceOverdueEscalated(
                legal_entity=first.legal_entity, customer_id=customer_id, owning_team=first.owning_team,
                breach_id=breach_id, rule_id=rule.id, rule_name=rule.name, region=first.region, currency=currency,
                overdue_amount=round_money(amount, currency), max_days_past_due=days,
                broken_promises=broken.get(customer_id, 0), invoice_ids=tuple(i.invoice_id for i in counted),
                severity=rule.severity, as_of_date=as_of, escalated_at=now))
            await tx.audit("escalation.breach_opened", entity_type="escalation_breach", entity_id=breach_id,
                           after={"rule": rule.id, "customer": customer_id, "amount": amount, "days": days})
        for breach in await repository.open_breaches(session, rule_id=rule.id):
            if (breach.customer_id, breach.currency) not in met_keys and breach.opened_on <= as_of:
                breach.status, breach.cleared_on, cleared = BreachStatus.CLEARED, as_of, cleared + 1
                await session.flush()
                await tx.audit("escalation.breach_cleared", entity_type="escalation_breach", entity_id=breach.id,
                               after={"as_of": as_of})
    return RunResult(as_of=as_of, escalated=escalated, already_open=already, cleared=cleared)


async def list_breaches(tx: Tx, *, page: PageRequest, status: str | None, customer_id: str | None) -> Page[BreachRead]:
    return await repository.breaches_page(tx.session, page=page, status=status, customer_id=customer_id)
