"""Automatic credit holds: rules as data (over the credit limit, a risk score at or above a threshold), evaluated by
a run (``POST /credit-holds/runs`` and a periodic background step). A rule met by a customer with open AR places a
hold (``credit.hold_placed``, reason ``over_credit_limit`` or ``risk_score``, the rule on the account); a hold a rule
placed is released (``credit.hold_released``) once no rule holds. The account row is the state: a second run finds
the hold and changes nothing, so runs are idempotent and replicas may overlap. Holds placed by people are never
released by the rules.

Why periodic and not on every ledger movement: the score moves with time alone (days late grow while an invoice stays
open), so a run is needed anyway; one run covers limit changes, payments and the passage of time alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c_collections import rules
from o2c_collections.accounts.models import Account
from o2c_collections.credit import repository, service
from o2c_collections.credit.models import CreditHoldRule, HoldReason, ReleaseReason
from o2c_collections.credit.schemas import HoldPlace, HoldRelease, HoldRuleRead, HoldRuleWrite, HoldRunResult
from o2c_collections.permissions import service_principal
from o2c_common.tx import Tx

RULES = service_principal("system:credit-hold-rules")


async def put_rule(tx: Tx, *, rule_id: str, data: HoldRuleWrite) -> HoldRuleRead:
    return HoldRuleRead.model_validate(await rules.put(tx, CreditHoldRule, rule_id=rule_id,
                                                       values=data.model_dump(), entity_type="credit_hold_rule"))


async def list_rules(tx: Tx) -> list[HoldRuleRead]:
    return [HoldRuleRead.model_validate(r) for r in await repository.hold_rules(tx.session)]


def rule_met(rule: CreditHoldRule, *, over_limit: bool, score: int | None) -> bool:
    """Every condition the rule sets holds (a rule without any never does)."""
    if not rule.over_limit and rule.min_risk_score is None:
        return False
    if rule.over_limit and not over_limit:
        return False
    return rule.min_risk_score is None or (score is not None and score >= rule.min_risk_score)


def _over_limit(account: Account | None, exposures: dict[tuple[str, str], Decimal], customer: str) -> bool:
    if account is None or account.credit_limit is None or account.credit_currency is None:
        return False
    return exposures.get((customer, account.credit_currency), Decimal(0)) > account.credit_limit


async def _place(tx: Tx, customer: str, *, rule: CreditHoldRule, as_of: date) -> bool:
    """The rule's hold placed; False when one was placed since the run read the accounts."""
    reason = HoldReason.OVER_CREDIT_LIMIT if rule.over_limit else HoldReason.RISK_SCORE
    try:
        await service.place_hold(tx, await service.lock(tx, customer), data=HoldPlace(reason=reason), as_of=as_of,
                                 rule_id=rule.id)
    except service.AlreadyOnHold:
        return False
    return True


async def _release(tx: Tx, account: Account, *, over_limit: bool) -> bool:
    """The rule hold released; False when it was released since the run read the accounts."""
    reason = (ReleaseReason.PAID_DOWN if over_limit is False and account.hold_reason == HoldReason.OVER_CREDIT_LIMIT
              else ReleaseReason.RISK_IMPROVED)
    try:
        await service.release_hold(tx, await service.lock(tx, account.customer_id),
                                   data=HoldRelease(reason=reason), rule_only=True)
    except service.NotOnHold:
        return False
    return True


async def run(tx: Tx, *, as_of: date) -> HoldRunResult:
    """Places and releases rule holds, in the rules' name (``system:credit-hold-rules``) whoever asked for the run."""
    tx = tx.acting_as(RULES)
    session = tx.session
    rules = await repository.hold_rules(session)
    exposures = await repository.exposures(session)
    owing = sorted({customer for (customer, _), amount in exposures.items() if amount > 0})
    accounts = await repository.accounts(session)
    accounts |= await repository.accounts(session, customer_ids=[c for c in owing if c not in accounts])
    scored = (await service.scores(tx, customer_ids=owing, as_of=as_of)
              if any(r.min_risk_score is not None for r in rules) else {})
    placed = released = unchanged = 0
    for customer in sorted(set(owing) | {c for c, a in accounts.items() if a.on_hold and a.hold_rule_id}):
        account = accounts.get(customer)
        over = _over_limit(account, exposures, customer)
        score = scored[customer][0] if customer in scored else None
        met = next((r for r in rules if customer in owing and rule_met(r, over_limit=over, score=score)), None)
        on_hold = account is not None and account.on_hold
        if met is not None and not on_hold:
            done = await _place(tx, customer, rule=met, as_of=as_of)
            placed, unchanged = placed + done, unchanged + (not done)
        elif met is None and on_hold and account is not None and account.hold_rule_id is not None:
            done = await _release(tx, account, over_limit=over)
            released, unchanged = released + done, unchanged + (not done)
        elif on_hold:
            unchanged += 1
    return HoldRunResult(as_of=as_of, evaluated=len(set(owing) | set(accounts)), placed=placed, released=released,
                         unchanged_on_hold=unchanged)
