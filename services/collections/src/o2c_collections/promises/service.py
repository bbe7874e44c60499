"""Promise-to-pay: recorded by a collector, kept when cash applied by the promised date reaches the amount,
broken when the date passes without it (decided by the promise check: API-triggered or in the background)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from o2c_collections.accounts import repository as accounts
from o2c_collections.promises import repository
from o2c_collections.promises.models import Promise, PromiseStatus
from o2c_collections.promises.schemas import CheckResult, PromiseCreate, PromiseRead
from o2c_common.auth import ensure_team_access
from o2c_common.errors import ValidationFailed
from o2c_common.events.contracts.collections import PromiseToPayBroken, PromiseToPayKept, PromiseToPayRecorded
from o2c_common.http import Page, PageRequest
from o2c_common.text import money
from o2c_common.tx import Tx

SYSTEM = "system:promise-check"
MAX_PROMISE_DAYS = 180  # a promise further out would keep its amount out of dunning for longer than a collector may


async def record_cash(tx: Tx, *, customer_id: str, currency: str, amount: Decimal, applied_date: date) -> None:
    """Cash applied for the customer counts towards its open promises, oldest first (decided in the check)."""
    left = amount
    for promise in await repository.open_for_cash(tx.session, customer_id=customer_id, currency=currency,
                                                  applied_date=applied_date):
        if left <= 0:
            break
        take = min(left, promise.amount - promise.paid_amount)
        if take > 0:
            promise.paid_amount += take
            promise.version += 1
            left -= take
            if promise.paid_amount >= promise.amount:
                promise.decided_on = applied_date  # reached: the check marks it kept
    await tx.session.flush()


async def record(tx: Tx, *, data: PromiseCreate) -> Promise:
    account = await accounts.get(tx.session, customer_id=data.customer_id)
    team = account.owning_team if account else None
    ensure_team_access(tx.actor, owning_team=team)
    await _within_bounds(tx, data=data)
    promise = await repository.add(tx.session, Promise(
        legal_entity=data.legal_entity, customer_id=data.customer_id, owning_team=team, currency=data.currency,
        amount=data.amount, paid_amount=Decimal(0), promised_date=data.promised_date,
        invoice_ids=[str(i) for i in data.invoice_ids], status=PromiseStatus.OPEN, recorded_by=tx.actor.subject,
        version=1, recorded_at=tx.now()))
    await tx.emit(PromiseToPayRecorded(
        promise_id=promise.id, legal_entity=promise.legal_entity, customer_id=promise.customer_id,
        owning_team=team, currency=promise.currency, amount=promise.amount, promised_date=promise.promised_date,
        invoice_ids=tuple(data.invoice_ids), recorded_by=tx.actor.subject, recorded_at=promise.recorded_at))
    await tx.audit("promise.recorded", entity_type="promise", entity_id=promise.id,
                   after={"amount": promise.amount, "date": promise.promised_date})
    return promise


async def _within_bounds(tx: Tx, *, data: PromiseCreate) -> None:
    """The promised amount leaves dunning while the promise is open: it may not exceed what is open (of the named
    invoices, or of the customer in the currency), nor its date lie more than MAX_PROMISE_DAYS ahead."""
    errors = []
    latest = tx.now().date() + timedelta(days=MAX_PROMISE_DAYS)
    if data.promised_date > latest:
        errors.append({"pointer": "#/promised_date", "detail": f"a promise may be dated at most {MAX_PROMISE_DAYS} "
                       f"days ahead, by {latest.isoformat()}; {data.promised_date.isoformat()} is later"})
    ids = list(dict.fromkeys(data.invoice_ids))
    open_amount, items = await repository.open_amount(tx.session, customer_id=data.customer_id,
                                                      currency=data.currency, invoice_ids=ids)
    if ids and items < len(ids):
        errors.append({"pointer": "#/invoice_ids", "detail": f"{len(ids) - items} of the invoices named are not "
                       f"open receivables of {data.customer_id} in {data.currency}"})
    elif data.amount > open_amount:
        scope = "the invoices named" if ids else f"{data.customer_id} in {data.currency}"
        errors.append({"pointer": "#/amount", "detail": f"{money(data.amount, data.currency)} is more than is open "
                       f"for {scope}: {money(open_amount, data.currency)}"})
    if errors:
        raise ValidationFailed("the promise is out of bounds", errors=errors, type="promise-out-of-bounds")


async def decide_due(tx: Tx, *, as_of: date, limit: int = 500) -> CheckResult:
    """Kept when the cash reached the amount; broken when ``as_of`` is past the date without it. Decided (and
    audited) in the promise check's name, ``system:promise-check``, whoever asked for the check."""
    tx = tx.acting_as(SYSTEM)
    session = tx.session
    kept = broken = 0
    now = tx.now()
    for promise in await repository.due_for_decision(session, as_of=as_of, limit=limit):
        promise.version += 1
        if promise.paid_amount >= promise.amount:
            promise.status, kept = PromiseStatus.KEPT, kept + 1
            promise.decided_on = promise.decided_on or as_of
            await session.flush()
            await tx.emit(PromiseToPayKept(
                promise_id=promise.id, legal_entity=promise.legal_entity, customer_id=promise.customer_id,
                owning_team=promise.owning_team, currency=promise.currency, amount=promise.amount,
                paid_amount=promise.paid_amount, promised_date=promise.promised_date, kept_date=promise.decided_on,
                decided_at=now))
        else:
            promise.status, promise.decided_on, broken = PromiseStatus.BROKEN, as_of, broken + 1
            await session.flush()
            await tx.emit(PromiseToPayBroken(
                promise_id=promise.id, legal_entity=promise.legal_entity, customer_id=promise.customer_id,
                owning_team=promise.owning_team, currency=promise.currency, amount=promise.amount,
                paid_amount=promise.paid_amount, promised_date=promise.promised_date,
                broken_count=await repository.broken_count(session, customer_id=promise.customer_id),
                decided_at=now))
        await tx.audit(f"promise.{promise.status}", entity_type="promise", entity_id=promise.id,
                       after={"paid": promise.paid_amount, "as_of": as_of})
    return CheckResult(as_of=as_of, kept=kept, broken=broken)


async def list_page(tx: Tx, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[PromiseRead]:
    return await repository.list_page(tx.session, page=page, team=team, status=status, customer_id=customer_id)
