"""Credit risk and holds: a score per customer from its payment history (see scoring.py), a credit limit
against its open AR, and credit holds placed and released by people (credit.hold_placed / credit.hold_released),
every change audited and guarded by If-Match on the account's ETag."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.accounts import repository as accounts
from o2c_collections.accounts.models import Account
from o2c_collections.credit import repository, scoring
from o2c_collections.credit.schemas import CreditProfile, Factor, HoldPlace, HoldRelease, LimitWrite
from o2c_collections.promises import repository as promises
from o2c_collections.risk import service as payment_risk
from o2c_collections.risk.schemas import CustomerRisk
from o2c_common.auth import ensure_team_access
from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.events.contracts.collections import CreditHoldPlaced, CreditHoldReleased
from o2c_common.money import round_money
from o2c_common.tx import Tx


class AlreadyOnHold(Conflict):
    type = "already-on-hold"
    title = "The customer is already on credit hold"


class NotOnHold(Conflict):
    type = "not-on-hold"
    title = "The customer is not on credit hold"


async def scores(tx: Tx, *, customer_ids: list[str], as_of: date, late: dict[str, CustomerRisk] | None = None
                 ) -> dict[str, tuple[int, list[Factor]]]:
    """The risk score with its factors of each customer, in a few statements whatever their number (``late``: the
    late-payment predictions when the caller has them already)."""
    history = await repository.histories(tx.session, customer_ids=customer_ids, as_of=as_of)
    broken = await repository.broken_counts(tx.session, customer_ids=customer_ids)
    disputes = await repository.dispute_counts(tx.session, customer_ids=customer_ids, as_of=as_of)
    if late is None:
        late = await payment_risk.customer_risks(tx, customer_ids=customer_ids, as_of=as_of)
    return {c: scoring.score(history=history.get(c, []), broken_promises=broken.get(c, 0),
                             disputes=disputes.get(c, 0), as_of=as_of, predicted=_late(late.get(c)))
            for c in customer_ids}


def _late(found: CustomerRisk | None) -> tuple[Decimal, Decimal, str] | None:
    return (found.late_probability, found.expected_days_late, found.invoice_number) if found else None


async def account(tx: Tx, customer_id: str) -> Account | None:
    """The customer's account row (None: known from its invoices only)."""
    return await accounts.get(tx.session, customer_id=customer_id)


async def profile(tx: Tx, *, customer_id: str, as_of: date, check_team: bool = False) -> CreditProfile:
    session = tx.session
    account = await accounts.get(session, customer_id=customer_id)
    if account is None and not await repository.has_items(session, customer_id=customer_id):
        raise NotFound(f"customer {customer_id} is not known to collections")
    if check_team:
        ensure_team_access(tx.actor, owning_team=account.owning_team if account else None)
    risk, factors = scoring.score(
        history=await repository.history(session, customer_id=customer_id, as_of=as_of),
        broken_promises=await promises.broken_count(session, customer_id=customer_id),
        disputes=await repository.dispute_count(session, customer_id=customer_id, as_of=as_of), as_of=as_of,
        predicted=_late((await payment_risk.customer_risks(tx, customer_ids=[customer_id], as_of=as_of))
                        .get(customer_id)))
    limit = account.credit_limit if account else None
    currency = account.credit_currency if account else None
    exposure = await repository.exposure(session, customer_id=customer_id, currency=currency)
    shown = currency or "USD"
    return CreditProfile(
        customer_id=customer_id, as_of=as_of, risk_score=risk, factors=factors,
        credit_limit=round_money(limit, shown) if limit is not None else None, credit_currency=currency,
        exposure=round_money(exposure, shown),
        available=round_money(limit - exposure, shown) if limit is not None else None,
        over_limit=limit is not None and exposure > limit, on_hold=bool(account and account.on_hold),
        hold_id=str(account.hold_id) if account and account.hold_id else None,
        hold_reason=account.hold_reason if account else None,
        hold_placed_at=account.hold_placed_at if account else None)


async def lock(tx: Tx, customer_id: str) -> Account:
    """The customer's account locked for a change (created, version 0, for a customer known from its invoices
    only); 404 for a customer collections does not know."""
    if not await repository.has_items(tx.session, customer_id=customer_id) and \
            await accounts.get(tx.session, customer_id=customer_id) is None:
        raise NotFound(f"customer {customer_id} is not known to collections")
    return await accounts.lock_or_create(tx.session, customer_id=customer_id)


async def set_limit(tx: Tx, account: Account, *, data: LimitWrite) -> Account:
    before = {"credit_limit": account.credit_limit, "currency": account.credit_currency}
    account.credit_limit, account.credit_currency = data.credit_limit, data.currency
    account.version += 1
    await tx.session.flush()
    await tx.audit("credit.limit_set", entity_type="account", entity_id=account.customer_id, before=before,
                   after={"credit_limit": data.credit_limit, "currency": data.currency})
    return account


async def _entity(tx: Tx, *, customer_id: str, given: str | None) -> str:
    entity = given or await repository.latest_entity(tx.session, customer_id=customer_id)
    if entity is None:
        raise UnprocessableEntity("no invoice names this customer's legal entity: give legal_entity")
    return entity


async def place_hold(tx: Tx, account: Account, *, data: HoldPlace, as_of: date | None = None,
                     rule_id: str | None = None) -> Account:
    """Places a hold on the locked ``account`` (a person's, or ``rule_id``'s: a hold rule's, which the rules also
    release)."""
    customer_id = account.customer_id
    if account.on_hold:
        raise AlreadyOnHold(f"customer {customer_id} has been on hold since {account.hold_placed_at}")
    entity = await _entity(tx, customer_id=customer_id, given=data.legal_entity)
    now = tx.now()
    current = await profile(tx, customer_id=customer_id, as_of=as_of or now.date())
    account.on_hold, account.hold_id, account.hold_reason, account.hold_placed_at = True, uuid.uuid4(), data.reason, now
    account.hold_rule_id = rule_id
    account.version += 1
    await tx.session.flush()
    assert account.hold_id is not None
    await tx.emit(CreditHoldPlaced(
        legal_entity=entity, customer_id=customer_id, owning_team=account.owning_team, hold_id=account.hold_id,
        reason=data.reason, risk_score=current.risk_score, currency=account.credit_currency,
        credit_limit=current.credit_limit, exposure=current.exposure, placed_by=tx.actor.subject, placed_at=now))
    await tx.audit("credit.hold_placed", entity_type="account", entity_id=customer_id, before={"on_hold": False},
                   after={"on_hold": True, "hold_id": account.hold_id, "reason": data.reason,
                          "risk_score": current.risk_score, "rule": rule_id})
    return account


async def release_hold(tx: Tx, account: Account, *, data: HoldRelease, rule_only: bool = False) -> Account:
    """Releases the hold of the locked ``account``; with ``rule_only`` only a hold a rule placed (a person's hold
    stays)."""
    customer_id = account.customer_id
    if not account.on_hold or account.hold_id is None or account.hold_placed_at is None or (
            rule_only and account.hold_rule_id is None):
        raise NotOnHold(f"customer {customer_id} is not on credit hold")
    entity = await _entity(tx, customer_id=customer_id, given=data.legal_entity)
    hold_id, placed_at, now = account.hold_id, account.hold_placed_at, tx.now()
    account.on_hold, account.hold_id, account.hold_reason, account.hold_placed_at = False, None, None, None
    account.hold_rule_id = None
    account.version += 1
    await tx.session.flush()
    await tx.emit(CreditHoldReleased(
        legal_entity=entity, customer_id=customer_id, owning_team=account.owning_team, hold_id=hold_id,
        reason=data.reason, released_by=tx.actor.subject, placed_at=placed_at, released_at=now))
    await tx.audit("credit.hold_released", entity_type="account", entity_id=customer_id,
                   before={"on_hold": True, "hold_id": hold_id}, after={"on_hold": False, "reason": data.reason})
    return account
