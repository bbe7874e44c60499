"""Payments in: from the API and from bank files. Each is booked once (bank reference or line fingerprint),
announced with payment.received, and handed to the cash application engine in the same transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from o2c_collections.accounts import repository as accounts
from o2c_collections.cashapp import repository as cashapp
from o2c_collections.cashapp.engine import Line
from o2c_collections.cashapp.models import Application, Payment, PaymentStatus, RemittanceLine
from o2c_collections.cashapp.schemas import ApplicationRead, PaymentRead, RemittanceLineRead
from o2c_collections.cashapp.service import auto_apply
from o2c_collections.config import CollectionsSettings
from o2c_collections.payments import repository
from o2c_collections.payments.parsers import ParsedPayment
from o2c_collections.payments.schemas import PaymentCreate, PaymentDetail
from o2c_common.auth import ensure_team_access, visible_team
from o2c_common.buffered import buffering
from o2c_common.entities import load_visible
from o2c_common.errors import Conflict
from o2c_common.events.contracts.collections import PaymentReceived
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx


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


async def book(tx: Tx, *, parsed: ParsedPayment, legal_entity: str, source: str, import_id: uuid.UUID | None,
               settings: CollectionsSettings, key: str | None = None) -> Booked:
    """Books the payment once (received in ``tx.actor``'s name) and hands it to cash application. A team-scoped
    booker (vendor agent) books for its own team: another team's (or an unassigned) customer is a 403."""
    session = tx.session
    account, group_ids = (await accounts.with_group(session, customer_id=parsed.customer_id) if parsed.customer_id
                          else (None, []))
    owning_team = account.owning_team if account else None
    if not tx.actor.sees_all_teams:
        owning_team = owning_team if account else visible_team(tx.actor)
        ensure_team_access(tx.actor, owning_team=owning_team)
    payment = await repository.insert_payment(session, {
        "id": uuid.uuid4(), "dedupe_key": key or dedupe_key(legal_entity, parsed), "legal_entity": legal_entity,
        "customer_id": parsed.customer_id, "payer_name": parsed.payer_name,
        "owning_team": owning_team, "currency": parsed.currency,
        "amount": parsed.amount, "unapplied_amount": parsed.amount, "value_date": parsed.value_date,
        "source": source, "bank_reference": parsed.bank_reference, "import_id": import_id,
        "status": PaymentStatus.UNAPPLIED, "candidates": [], "version": 1})
    if payment is None:
        return Booked(None, False)
    lines = [RemittanceLine(id=uuid.uuid4(), payment_id=payment.id, position=n, reference=li.reference,
                            amount=li.amount, reason_code=li.reason_code, text=li.text)
             for n, li in enumerate(parsed.lines)]
    await repository.add_all(session, lines)
    await tx.emit(PaymentReceived(
        payment_id=payment.id, legal_entity=legal_entity, customer_id=payment.customer_id,
        payer_name=payment.payer_name, currency=payment.currency, amount=payment.amount,
        value_date=payment.value_date, received_at=tx.now(), source=source,
        bank_reference=payment.bank_reference, owning_team=payment.owning_team,
        remittance_references=tuple(li.reference for li in lines if li.reference)))
    await tx.audit("payment.received", entity_type="payment", entity_id=payment.id,
                   after={"amount": payment.amount, "currency": payment.currency, "source": source})
    done = await auto_apply(tx, payment=payment, lines=lines, settings=settings, group_ids=group_ids)
    return Booked(payment, bool(done.decision.allocations), lines, done.applications)


async def create(tx: Tx, *, data: PaymentCreate, settings: CollectionsSettings) -> tuple[PaymentDetail, int]:
    """Books and applies the payment; its detail (and version) from what was just written, not read again."""
    parsed = ParsedPayment(bank_reference=data.bank_reference, value_date=data.value_date, currency=data.currency,
                           amount=data.amount, customer_id=data.customer_id, payer_name=data.payer_name,
                           lines=tuple(Line(r.reference, r.amount, r.reason_code) for r in data.remittance))
    key = None if data.bank_reference else f"api:{uuid.uuid4()}"
    async with buffering(tx) as buffered:  # its events and audit entries in one statement each
        booked = await book(buffered, parsed=parsed, legal_entity=data.legal_entity, source="api", import_id=None,
                            settings=settings, key=key)
    if booked.payment is None:
        raise DuplicatePayment(f"a payment with bank reference {data.bank_reference} was already booked")
    return _detail(booked.payment, booked.lines, booked.applications), booked.payment.version


def _detail(payment: Payment, lines: list[RemittanceLine], applications: list[Application]) -> PaymentDetail:
    return PaymentDetail.model_validate(payment).model_copy(update={
        "remittance": [RemittanceLineRead.model_validate(li) for li in lines],
        "applications": [ApplicationRead.model_validate(a) for a in applications]})


async def detail(tx: Tx, payment_id: uuid.UUID) -> tuple[PaymentDetail, int]:
    payment = await load_visible(tx, Payment, payment_id)
    lines = await cashapp.lines(tx.session, payment_id=payment.id)
    applications = await cashapp.applications(tx.session, payment_id=payment.id)
    return _detail(payment, lines, applications), payment.version


async def list_page(tx: Tx, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[PaymentRead]:
    return await repository.list_page(tx.session, page=page, team=team, status=status, customer_id=customer_id)


async def unapplied_page(tx: Tx, *, page: PageRequest, team: str | None,
                         customer_id: str | None) -> Page[PaymentRead]:
    return await repository.unapplied_page(tx.session, page=page, team=team, customer_id=customer_id)
