"""Invoices: drafts (the creation hot path), historical imports, and reads."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from o2c_common.audit.log import audit_row
from o2c_common.auth import ensure_team_access, visible_team
from o2c_common.errors import Conflict, Forbidden
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_invoicing.invoices import numbering, repository
from o2c_invoicing.invoices.errors import InvoiceNotFound
from o2c_invoicing.invoices.models import Invoice, InvoiceLine, InvoiceSource, InvoiceStatusChange
from o2c_invoicing.invoices.schemas import HistoricalInvoiceCreate, InvoiceCreate, InvoiceLineRead, InvoiceRead
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.invoices.totals import invoice_totals, line_amounts
from o2c_invoicing.profiles import repository as profiles
from o2c_invoicing.profiles.models import BillingProfile


async def team_to_bill(tx: Tx, customer_id: str) -> str | None:
    """The owning team of ``customer_id`` (its billing profile's), which a team-scoped caller must be of to bill it;
    403 if it is another team's or the customer has no profile yet."""
    found, owning_team = await profiles.owning_team(tx.session, customer_id=customer_id)
    if not found:
        raise Forbidden(f"customer {customer_id} has no billing profile, so it belongs to no team yet: ask "
                        "an AR supervisor to assign the account in collections (account master)",
                        type="team-access-denied", title="Team access denied")
    ensure_team_access(tx.actor, owning_team=owning_team)
    return owning_team


async def create_draft(tx: Tx, data: InvoiceCreate) -> InvoiceRead:
    """Store a draft (no number yet: numbers are allocated at issue) in one statement: the hot path.

    Team-scoped callers (vendor agents) are checked against the customer's owning team first (a lookup): a
    customer with no billing profile belongs to no team yet, and a vendor naming its own team on the draft would
    claim it (and its later invoices), so that is a 403 too; for everyone else the team is resolved inside the
    insert."""
    preparer = tx.actor
    team_known = not preparer.sees_all_teams
    owning_team = await team_to_bill(tx, data.customer_id) if team_known else data.owning_team
    now = tx.now()
    invoice_id = uuid.uuid4()
    lines: list[InvoiceLineRead] = []
    for position, line in enumerate(data.lines, start=1):
        net, tax = line_amounts(line.quantity, line.unit_price, line.tax_rate, data.currency)
        lines.append(InvoiceLineRead(position=position, description=line.description, quantity=line.quantity,
                                     unit_price=line.unit_price, tax_rate=line.tax_rate, net_amount=net,
                                     tax_amount=tax, po_line=line.po_line))
    net, tax, total = invoice_totals([(line.net_amount, line.tax_amount) for line in lines])
    read = InvoiceRead(
        id=invoice_id, number=None, legal_entity=data.legal_entity, customer_id=data.customer_id,
        currency=data.currency, net_amount=net, tax_amount=tax, total_amount=total, credited_amount=0,
        paid_amount=0, requested_issue_date=data.issue_date, issue_date=None, due_date=None,
        payment_terms=data.payment_terms, payment_terms_days=data.payment_terms_days,
        discount_percent=data.discount_percent, discount_days=data.discount_days,
        service_period_start=data.service_period_start, service_period_end=data.service_period_end,
        po_number=data.po_number, buyer_reference=data.buyer_reference, owning_team=owning_team,
        status=InvoiceStatus.DRAFT, status_since=now,
        source=InvoiceSource.API, attempts=0, rejection_count=0, version=1, created_by=preparer.subject, created_at=now,
        lines=lines,
    )
    read.owning_team = await repository.insert_draft(
        tx.session, invoice=read.model_dump(exclude={"lines", "approvals"}), team_from_profile=not team_known,
        lines=[{"id": uuid.uuid4(), "invoice_id": invoice_id, **line.model_dump()} for line in lines],
        history={"invoice_id": invoice_id, "to_status": InvoiceStatus.DRAFT.value, "actor": preparer.subject,
                 "at": now},
        audit=audit_values(actor=preparer.subject, action="invoice.created", entity_id=invoice_id,
                           after={"customer_id": data.customer_id, "total": total, "currency": data.currency}))
    return read


def audit_values(*, actor: str, action: str, entity_id: uuid.UUID, after: dict[str, Any]) -> dict[str, Any]:
    """An invoice's audit_log row as record_audit writes it, for statements that insert it themselves."""
    return audit_row(actor=actor, action=action, entity_type="invoice", entity_id=entity_id, after=after)


async def _same_import(tx: Tx, data: HistoricalInvoiceCreate) -> Invoice | None:
    """The invoice stored by an earlier import of the same id and number; 409 for any other clash."""
    clashes = await repository.same_id_or_number(tx.session, invoice_id=data.id, legal_entity=data.legal_entity,
                                                 number=data.number)
    if not clashes:
        return None
    if clashes == [(data.id, data.legal_entity, data.number)]:
        assert data.id is not None
        return await get(tx, data.id)
    raise Conflict(f"invoice number {data.number} (or id {data.id}) already exists for {data.legal_entity}",
                   type="duplicate-invoice-number", title="Duplicate invoice number",
                   extensions={"existing": [{"id": str(i), "legal_entity": e, "number": n} for i, e, n in clashes]})


async def import_historical(tx: Tx, data: HistoricalInvoiceCreate) -> tuple[Invoice, bool]:
    """The integration path for invoices issued elsewhere: stored as issued under their own number, without
    maker-checker (there is nothing left to approve), recording who imported them; emits `invoice.issued` with
    the historical dates. A ``paid_date`` is recorded in the audit only: settlement comes from the AR ledger
    (the history importer posts the payments in collections), never from the loader's word.

    Returns (invoice, created). With a client-chosen id, the same id and number again answer the stored
    invoice (created False, nothing written): replays are idempotent. Any other clash is a 409."""
    existing = await _same_import(tx, data)
    if existing is not None:
        return existing, False
    numbering.check_historical(data.legal_entity, data.number)
    profile = await profiles.get(tx.session, customer_id=data.customer_id)
    owning_team = profile.owning_team if profile is not None else data.owning_team
    invoice = Invoice(
        id=data.id or uuid.uuid4(), number=data.number, legal_entity=data.legal_entity, customer_id=data.customer_id,
        currency=data.currency, requested_issue_date=data.issue_date, issue_date=data.issue_date,
        due_date=data.due_date, payment_terms=data.payment_terms, payment_terms_days=data.payment_terms_days,
        po_number=data.po_number, buyer_reference=data.buyer_reference, owning_team=owning_team,
        status=InvoiceStatus.ISSUED, source=InvoiceSource.IMPORT,
        created_by=tx.actor.subject, lines=[], approvals=[], credited_amount=0, paid_amount=0,
    )
    for position, line in enumerate(data.lines, start=1):
        net, tax = line_amounts(line.quantity, line.unit_price, line.tax_rate, data.currency)
        invoice.lines.append(InvoiceLine(position=position, description=line.description, quantity=line.quantity,
                                         unit_price=line.unit_price, tax_rate=line.tax_rate, net_amount=net,
                                         tax_amount=tax, po_line=line.po_line))
    invoice.net_amount, invoice.tax_amount, invoice.total_amount = invoice_totals(
        [(line.net_amount, line.tax_amount) for line in invoice.lines])
    now = tx.now()
    await repository.add(tx.session, invoice)
    await repository.add_history(tx.session, invoice_id=invoice.id, from_status=None, to_status=invoice.status,
                                 actor=tx.actor.subject, note="imported as historical", at=now)
    await tx.audit("invoice.imported", entity_type="invoice", entity_id=invoice.id,
                   after={"number": invoice.number, "total": invoice.total_amount,
                          "issue_date": invoice.issue_date, "paid_date": data.paid_date})
    await tx.emit(issued_fact(invoice, issued_at=now))
    return invoice, True


def issued_fact(invoice: Invoice, *, issued_at: datetime, number: str | None = None) -> InvoiceIssued:
    """``number`` stands for the invoice's own when the statement writing the event takes it (a fill token)."""
    number = number if number is not None else invoice.number
    assert number is not None and invoice.issue_date is not None and invoice.due_date is not None
    return InvoiceIssued(
        invoice_id=invoice.id, invoice_number=number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, currency=invoice.currency, amount=invoice.total_amount,
        tax_amount=invoice.tax_amount, issue_date=invoice.issue_date, due_date=invoice.due_date,
        issued_at=issued_at, owning_team=invoice.owning_team, po_number=invoice.po_number,
        service_period_start=invoice.service_period_start, service_period_end=invoice.service_period_end,
        billing_deadline=invoice.billing_deadline, replaces_invoice_id=invoice.replaces_invoice_id,
        discount_percent=invoice.discount_percent if invoice.discount_days is not None else None,
        discount_until=invoice.issue_date + timedelta(days=invoice.discount_days)
        if invoice.discount_percent and invoice.discount_days is not None else None,
        historical=invoice.source == InvoiceSource.IMPORT,
    )


async def get(tx: Tx, invoice_id: uuid.UUID, *, for_update: bool = False) -> Invoice:
    """The invoice (404 when it does not exist, 403 when it is another team's)."""
    invoice = await repository.get(tx.session, invoice_id=invoice_id, for_update=for_update)
    if invoice is None:
        raise InvoiceNotFound(f"invoice {invoice_id} does not exist", extensions={"invoice_id": str(invoice_id)})
    ensure_team_access(tx.actor, owning_team=invoice.owning_team)
    return invoice


class LockedProfiles:
    """The billing profile read with each invoice this transaction locked (:func:`lock`), by customer, until a rule
    check takes it (:func:`customer_profile`): a transition reads invoice and profile in one round trip."""

    def __init__(self) -> None:
        self.by_customer: dict[str, BillingProfile | None] = {}

    async def flush(self, tx: Tx) -> None:
        """Nothing to write."""


async def lock(tx: Tx, invoice_id: uuid.UUID) -> Invoice:
    """The invoice locked ``FOR UPDATE`` until the end of the transaction (then check its ETag); its customer's
    billing profile comes with it, for the transition's rule checks."""
    invoice, profile = await with_profile(tx, invoice_id, lock=True)
    tx.batch(LockedProfiles).by_customer[invoice.customer_id] = profile
    return invoice


async def with_profile(tx: Tx, invoice_id: uuid.UUID, *, lock: bool = False) -> tuple[Invoice, BillingProfile | None]:
    """The invoice (``FOR UPDATE`` with ``lock``) and its customer's billing profile, in one read (404 when it does
    not exist, 403 when it is another team's)."""
    found = await repository.with_profile(tx.session, invoice_id=invoice_id, lock=lock)
    if found is None:
        raise InvoiceNotFound(f"invoice {invoice_id} does not exist", extensions={"invoice_id": str(invoice_id)})
    ensure_team_access(tx.actor, owning_team=found[0].owning_team)
    return found


async def customer_profile(tx: Tx, customer_id: str) -> BillingProfile | None:
    """The customer's billing profile: the one read when the invoice was locked in this transaction (taken once),
    else read now."""
    loaded = tx.batch(LockedProfiles).by_customer
    if customer_id in loaded:
        return loaded.pop(customer_id)
    return await profiles.get(tx.session, customer_id=customer_id)


async def history(tx: Tx, invoice_id: uuid.UUID) -> list[InvoiceStatusChange]:
    await get(tx, invoice_id)
    return await repository.history(tx.session, invoice_id=invoice_id)


async def list_page(tx: Tx, *, page: PageRequest, customer_id: str | None,
                    status: str | None = None) -> Page[InvoiceRead]:
    """Invoices, newest first; vendor agents see only their team's."""
    return await repository.list_page(tx.session, page=page, customer_id=customer_id, team=visible_team(tx.actor),
                                      status=status)
