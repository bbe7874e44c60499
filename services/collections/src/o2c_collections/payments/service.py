"""Payments in: from the API and from bank files. Each is booked once (bank reference or line fingerprint),
announced with payment.received, and handed to the cash application engine in the same transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts import repository as accounts
from o2c_collections.application.engine import Line
from o2c_collections.application.service import auto_apply
from o2c_collections.config import CollectionsSettings
from o2c_collections.payments import repository
from o2c_collections.payments.models import Application, Payment, RemittanceLine
from o2c_collections.payments.parsers import ParsedPayment
from o2c_collections.payments.schemas import (
    ApplicationRead,
    PaymentCreate,
    PaymentDetail,
    PaymentRead,
    RemittanceLineRead,
)
from o2c_common.audit import record_audit
from o2c_common.auth import Principal, ensure_team_access
from o2c_common.errors import Conflict, NotFound
from o2c_common.events.contracts.collections import PaymentReceived
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_common.outbox import Outbox


class DuplicatePayment(Conflict):
    type = "duplicate-payment"
    title = "Payment already booked"


@dataclass(frozen=True)
class Booked:
    payment: Payment | None  # None: a duplicate, not booked again
    applied: bool
    lines: list[RemittanceLine] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)


def dedupe_key(legal_entity: str, parsed: ParsedPayment) -> str:
    """The bank reference when there is one, else a fingerprint of the line's content."""
    if parsed.bank_reference:
        return f"bank:{legal_entity}:{parsed.bank_reference}"
    content = "|".join([legal_entity, parsed.value_date.isoformat(), parsed.currency, str(parsed.amount),
                        parsed.customer_id or "", parsed.payer_name or "",
                        ";".join(f"{li.reference}:{li.amount}:{li.reason_code}" for li in parsed.lines)])
    return "line:" + hashlib.sha256(content.encode()).hexdigest()


async def book(session: AsyncSession, *, parsed: ParsedPayment, legal_entity: str, source: str,
               import_id: uuid.UUID | None, actor: str, outbox: Outbox, settings: CollectionsSettings,
               key: str | None = None) -> Booked:
    account, group_ids = (await accounts.with_group(session, customer_id=parsed.customer_id) if parsed.customer_id
                          else (None, []))
    payment = await repository.insert_payment(session, {
        "id": uuid.uuid4(), "dedupe_key": key or dedupe_key(legal_entity, parsed), "legal_entity": legal_entity,
        "customer_id": parsed.customer_id, "payer_name": parsed.payer_name,
        "owning_team": account.owning_team if account else None, "currency": parsed.currency,
        "amount": parsed.amount, "unapplied_amount": parsed.amount, "value_date": parsed.value_date,
        "source": source, "bank_reference": parsed.bank_reference, "import_id": import_id, "status": "unapplied",
        "candidates": [], "version": 1})
    if payment is None:
        return Booked(None, False)
    lines = [RemittanceLine(id=uuid.uuid4(), payment_id=payment.id, position=n, reference=li.reference,
                            amount=li.amount, reason_code=li.reason_code) for n, li in enumerate(parsed.lines)]
    await repository.add_all(session, lines)
    await outbox.emit(session, PaymentReceived(
        payment_id=payment.id, legal_entity=legal_entity, customer_id=payment.customer_id,
        payer_name=payment.payer_name, currency=payment.currency, amount=payment.amount,
        value_date=payment.value_date, received_at=datetime.now(UTC), source=source,
        bank_reference=payment.bank_reference, owning_team=payment.owning_team,
        remittance_references=tuple(li.reference for li in lines if li.reference)))
    await record_audit(session, actor=actor, action="payment.received", entity_type="payment", entity_id=payment.id,
                       after={"amount": payment.amount, "currency": payment.currency, "source": source})
    done = await auto_apply(session, payment=payment, lines=lines, outbox=outbox, settings=settings,
                            group_ids=group_ids)
    return Booked(payment, bool(done.decision.allocations), lines, done.applications)


async def create(session: AsyncSession, *, data: PaymentCreate, principal: Principal, outbox: Outbox,
                 settings: CollectionsSettings) -> tuple[PaymentDetail, int]:
    """Books and applies the payment; its detail (and version) from what was just written, not read again."""
    parsed = ParsedPayment(bank_reference=data.bank_reference, value_date=data.value_date, currency=data.currency,
                           amount=data.amount, customer_id=data.customer_id, payer_name=data.payer_name,
                           lines=tuple(Line(r.reference, r.amount, r.reason_code) for r in data.remittance))
    key = None if data.bank_reference else f"api:{uuid.uuid4()}"
    booked = await book(session, parsed=parsed, legal_entity=data.legal_entity, source="api", import_id=None,
                        actor=principal.subject, outbox=outbox, settings=settings, key=key)
    if booked.payment is None:
        raise DuplicatePayment(f"a payment with bank reference {data.bank_reference} was already booked")
    return _detail(booked.payment, booked.lines, booked.applications), booked.payment.version


def _detail(payment: Payment, lines: list[RemittanceLine], applications: list[Application]) -> PaymentDetail:
    return PaymentDetail.model_validate(payment).model_copy(update={
        "remittance": [RemittanceLineRead.model_validate(li) for li in lines],
        "applications": [ApplicationRead.model_validate(a) for a in applications]})


async def detail(session: AsyncSession, *, payment_id: uuid.UUID, principal: Principal) -> tuple[PaymentDetail, int]:
    payment = await repository.get(session, payment_id=payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id} does not exist")
    ensure_team_access(principal, owning_team=payment.owning_team)
    lines = await repository.lines(session, payment_id=payment.id)
    applications = await repository.applications(session, payment_id=payment.id)
    return _detail(payment, lines, applications), payment.version


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[PaymentRead]:
    stmt = keyset_select(repository.list_query(team=team, status=status, customer_id=customer_id), page=page,
                         order_by=(Payment.received_at, Payment.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda p: (p.received_at, p.id), item=PaymentRead.model_validate)
