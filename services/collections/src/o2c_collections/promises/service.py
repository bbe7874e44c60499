"""Promise-to-pay: recorded by a collector, kept when cash applied by the promised date reaches the amount,
broken when the date passes without it (decided by the promise check: API-triggered or in the background)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts import repository as accounts
from o2c_collections.promises import repository
from o2c_collections.promises.models import Promise
from o2c_collections.promises.schemas import CheckResult, PromiseCreate, PromiseRead
from o2c_common.audit import record_audit
from o2c_common.auth import Principal, ensure_team_access
from o2c_common.events.contracts.collections import PromiseToPayBroken, PromiseToPayKept, PromiseToPayRecorded
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_common.outbox import Outbox

SYSTEM = "system:promise-check"


async def record_cash(session: AsyncSession, *, customer_id: str, currency: str, amount: Decimal,
                      applied_date: date) -> None:
    """Cash applied for the customer counts towards its open promises, oldest first (decided in the check)."""
    stmt = (select(Promise).where(Promise.customer_id == customer_id, Promise.currency == currency,
                                  Promise.status == "open", Promise.promised_date >= applied_date)
            .order_by(Promise.promised_date, Promise.id).with_for_update())
    left = amount
    for promise in (await session.scalars(stmt)).all():
        if left <= 0:
            break
        take = min(left, promise.amount - promise.paid_amount)
        if take > 0:
            promise.paid_amount += take
            promise.version += 1
            left -= take
            if promise.paid_amount >= promise.amount:
                promise.decided_on = applied_date  # reached: the check marks it kept
    await session.flush()


async def record(session: AsyncSession, *, data: PromiseCreate, principal: Principal, outbox: Outbox) -> Promise:
    account = await accounts.get(session, customer_id=data.customer_id)
    team = account.owning_team if account else None
    ensure_team_access(principal, owning_team=team)
    promise = await repository.add(session, Promise(
        legal_entity=data.legal_entity, customer_id=data.customer_id, owning_team=team, currency=data.currency,
        amount=data.amount, paid_amount=Decimal(0), promised_date=data.promised_date,
        invoice_ids=[str(i) for i in data.invoice_ids], status="open", recorded_by=principal.subject, version=1,
        recorded_at=datetime.now(UTC)))
    await outbox.emit(session, PromiseToPayRecorded(
        promise_id=promise.id, legal_entity=promise.legal_entity, customer_id=promise.customer_id,
        owning_team=team, currency=promise.currency, amount=promise.amount, promised_date=promise.promised_date,
        invoice_ids=tuple(data.invoice_ids), recorded_by=principal.subject, recorded_at=promise.recorded_at))
    await record_audit(session, actor=principal, action="promise.recorded", entity_type="promise",
                       entity_id=promise.id, after={"amount": promise.amount, "date": promise.promised_date})
    return promise


async def decide_due(session: AsyncSession, *, as_of: date, outbox: Outbox, limit: int = 500) -> CheckResult:
    """Kept when the cash reached the amount; broken when ``as_of`` is past the date without it."""
    kept = broken = 0
    now = datetime.now(UTC)
    for promise in await repository.due_for_decision(session, as_of=as_of, limit=limit):
        promise.version += 1
        if promise.paid_amount >= promise.amount:
            promise.status, kept = "kept", kept + 1
            promise.decided_on = promise.decided_on or as_of
            await session.flush()
            await outbox.emit(session, PromiseToPayKept(
                promise_id=promise.id, legal_entity=promise.legal_entity, customer_id=promise.customer_id,
                owning_team=promise.owning_team, currency=promise.currency, amount=promise.amount,
                paid_amount=promise.paid_amount, promised_date=promise.promised_date, kept_date=promise.decided_on,
                decided_at=now))
        else:
            promise.status, promise.decided_on, broken = "broken", as_of, broken + 1
            await session.flush()
            await outbox.emit(session, PromiseToPayBroken(
                promise_id=promise.id, legal_entity=promise.legal_entity, customer_id=promise.customer_id,
                owning_team=promise.owning_team, currency=promise.currency, amount=promise.amount,
                paid_amount=promise.paid_amount, promised_date=promise.promised_date,
                broken_count=await repository.broken_count(session, customer_id=promise.customer_id),
                decided_at=now))
        await record_audit(session, actor=SYSTEM, action=f"promise.{promise.status}", entity_type="promise",
                           entity_id=promise.id, after={"paid": promise.paid_amount, "as_of": as_of})
    return CheckResult(as_of=as_of, kept=kept, broken=broken)


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[PromiseRead]:
    stmt = keyset_select(repository.list_query(team=team, status=status, customer_id=customer_id), page=page,
                         order_by=(Promise.recorded_at, Promise.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda p: (p.recorded_at, p.id), item=PromiseRead.model_validate)
