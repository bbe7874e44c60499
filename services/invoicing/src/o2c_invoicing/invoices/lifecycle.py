"""Draft → pending_approval → approved → issued, with maker-checker, the customer's portal rules checked at
approval and at issue (an approver may override them, audited), and cancel before issue. What is owed is not
here: it is mirrored from the AR ledger (``invoices.handlers``).

A transition's router locks the invoice row (:func:`service.lock`, ``FOR UPDATE``) and checks the caller's
``If-Match`` against the locked version; the verb here checks the state machine, then changes state, history,
audit and outbox in the request's transaction. The issue is first tried without the lock (:func:`issue_at_once`):
its one statement, guarded by the invoice's status and version, is its own transaction, so the legal entity's
counter row is held for that statement only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoiceCancelled
from o2c_common.outbox.writer import AlsoRow
from o2c_common.tx import Tx
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import numbering, repository, states
from o2c_invoicing.invoices.errors import MakerCheckerViolation, PortalRulesViolated
from o2c_invoicing.invoices.models import Invoice, InvoiceApproval
from o2c_invoicing.invoices.portal_rules import checked_before_numbering, number_violations, rule_violations
from o2c_invoicing.invoices.service import customer_profile, issued_fact
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.invoices.totals import due_date_for
from o2c_invoicing.profiles.billing import billing_deadline
from o2c_invoicing.profiles.models import BillingProfile


@dataclass(frozen=True)
class Override:
    """An approver's explicit decision to go on although the customer's portal rules are violated."""

    reason: str


async def move(tx: Tx, invoice: Invoice, *, to: InvoiceStatus, note: str | None = None, **history: object) -> None:
    """Set the status, flush (bumps the version) and append the history row, by the transaction's actor."""
    _, row = await moved(tx, invoice, to=to, note=note, **history)
    await repository.add_history(tx.session, **row)


async def moved(tx: Tx, invoice: Invoice, *, to: InvoiceStatus, note: str | None = None,
                **history: object) -> AlsoRow:
    """Set the status and flush (bumps the version); the history row, by the transaction's actor, to write with the
    transition's audit entry and event (``tx.audit_and_emit(..., also=...)``)."""
    before, now = invoice.status, tx.now()
    invoice.status, invoice.status_since, invoice.stalled_notified_at = to, now, None
    await repository.flush(tx.session)
    return _history_row(tx, invoice, before=before, to=to, at=now, note=note, **history)


def staged(tx: Tx, invoice: Invoice, changes: dict[str, object], *, to: InvoiceStatus,
           note: str | None = None) -> tuple[dict[str, object], AlsoRow]:
    """:func:`moved` for a statement of the caller's own that writes the invoice's row (the issue's, with its number):
    ``changes`` and the status are set on the invoice as stored values, nothing for the ORM to flush. Returns the
    columns that statement writes and the history row."""
    before, now = invoice.status, tx.now()
    values = {**changes, "status": to, "status_since": now, "stalled_notified_at": None}
    for name, value in values.items():
        set_committed_value(invoice, name, value)
    return values, _history_row(tx, invoice, before=before, to=to, at=now, note=note)


def _history_row(tx: Tx, invoice: Invoice, *, before: InvoiceStatus, to: InvoiceStatus, at: datetime,
                 note: str | None, **history: object) -> AlsoRow:
    return repository.HISTORY, {"invoice_id": invoice.id, "from_status": before, "to_status": to,
                                "actor": tx.actor.subject, "note": note, "at": at, **history}


def approvals_required(invoice: Invoice, settings: InvoicingSettings) -> int:
    """Two above the invoice's currency's limit (``second_approval_above``); a currency without a limit uses
    ``second_approval_default``, and needs two when that is None too."""
    limit = settings.second_approval_above.get(invoice.currency, settings.second_approval_default)
    return 2 if limit is None or invoice.total_amount > limit else 1


async def check_portal_rules(tx: Tx, invoice: Invoice, *, step: str,
                             override: Override | None) -> BillingProfile | None:
    """The customer's portal rules before ``step`` changes anything: 422 listing every violation, unless an
    approver overrides them (audited, remembered on the invoice so a later step does not ask again). Returns
    the customer's billing profile (None without one)."""
    profile = await customer_profile(tx, invoice.customer_id)
    await enforce_portal_rules(tx, invoice, profile, step=step, override=override)
    return profile


async def enforce_portal_rules(tx: Tx, invoice: Invoice, profile: BillingProfile | None, *, step: str,
                               override: Override | None) -> None:
    """:func:`check_portal_rules` with the profile in hand."""
    await _refuse_or_override(tx, invoice, await _unwaived(tx, invoice, profile), step=step, override=override)


async def _unwaived(tx: Tx, invoice: Invoice, profile: BillingProfile | None) -> list[dict[str, Any]]:
    """The portal rules the invoice violates, less those an approver overrode before."""
    needs_attachment = profile is not None and (profile.rules or {}).get("attachment_required")
    attachments = await repository.attachment_count(tx.session, invoice_id=invoice.id) if needs_attachment else 0
    return _not_waived(invoice, rule_violations(invoice, profile, attachments=attachments))


def _not_waived(invoice: Invoice, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["rule"] not in invoice.portal_rules_overridden]


async def _refuse_or_override(tx: Tx, invoice: Invoice, found: list[dict[str, Any]], *, step: str,
                              override: Override | None) -> None:
    """422 listing every violation found, unless an approver overrides them (audited, remembered on the invoice)."""
    if not found:
        return
    if override is None:
        raise PortalRulesViolated(found, step=step)
    invoice.portal_rules_overridden = sorted({*invoice.portal_rules_overridden, *(v["rule"] for v in found)})
    await tx.audit("invoice.portal_rules_overridden", entity_type="invoice", entity_id=invoice.id,
                   reason=override.reason, before={"violations": found}, after={"step": step})


async def request_approval(tx: Tx, invoice: Invoice, *, note: str | None) -> Invoice:
    states.check("request_approval", invoice.status)
    await move(tx, invoice, to=InvoiceStatus.PENDING_APPROVAL, note=note)
    await tx.audit("invoice.approval_requested", entity_type="invoice", entity_id=invoice.id, reason=note)
    return invoice


def _check_maker_checker(invoice: Invoice, approver: str) -> None:
    """The approver is never the preparer, and a second approval (above the limit) comes from someone other
    than the first approver."""
    if approver == invoice.created_by:
        raise MakerCheckerViolation("the preparer of an invoice may not approve it",
                                    extensions={"prepared_by": invoice.created_by})
    if any(a.approver == approver for a in invoice.approvals):
        raise MakerCheckerViolation("a second approval must come from another approver",
                                    extensions={"approved_by": [a.approver for a in invoice.approvals]})


async def approve(tx: Tx, invoice: Invoice, *, settings: InvoicingSettings, note: str | None,
                  override: Override | None = None) -> Invoice:
    """Maker-checker approval; the last required approval moves the invoice to approved."""
    states.check("approve", invoice.status)
    approver = tx.actor.subject
    _check_maker_checker(invoice, approver)
    await check_portal_rules(tx, invoice, step="approve", override=override)
    invoice.approvals.append(InvoiceApproval(invoice_id=invoice.id, approver=approver))
    required = approvals_required(invoice, settings)
    given = len(invoice.approvals)
    counted = {"approvals": given, "required": required}
    if given < required:
        await tx.audit("invoice.approval_given", entity_type="invoice", entity_id=invoice.id, reason=note,
                       after=counted)
        invoice.status_since = tx.now()
        await repository.flush(tx.session)
        await repository.add_history(tx.session, invoice_id=invoice.id, from_status=invoice.status,
                                     to_status=invoice.status, actor=approver, note=f"approval {given} of {required}")
        return invoice
    history = await moved(tx, invoice, to=InvoiceStatus.APPROVED, note=note)
    await tx.audit_and_emit("invoice.approval_given", InvoiceApproved(
        invoice_id=invoice.id, legal_entity=invoice.legal_entity, customer_id=invoice.customer_id,
        currency=invoice.currency, amount=invoice.total_amount, prepared_by=invoice.created_by,
        approved_by=approver, approvals=given, approved_at=tx.now(), owning_team=invoice.owning_team),
        entity_type="invoice", entity_id=invoice.id, reason=note, after=counted, also=history)
    return invoice


async def return_to_draft(tx: Tx, invoice: Invoice, *, reason: str) -> Invoice:
    """An approver sends the invoice back to its preparer; approvals given so far are withdrawn."""
    states.check("return_to_draft", invoice.status)
    invoice.approvals.clear()
    await move(tx, invoice, to=InvoiceStatus.DRAFT, note=reason)
    await tx.audit("invoice.returned_to_draft", entity_type="invoice", entity_id=invoice.id, reason=reason)
    return invoice


async def issue(tx: Tx, invoice: Invoice, *, override: Override | None = None) -> Invoice:
    """Post the approved (and locked) invoice: its issue and due dates, billing deadline and status are set and the
    portal rules checked; then ONE statement takes its number and writes it, with those, on the invoice, and writes
    the history, the audit entry and the event (:meth:`Tx.audit_and_emit_filled`). So the sequence row is locked by
    that statement and the commit only: issues of one legal entity are taken in turn. The number's own format rule
    is checked once it is taken; a refusal rolls the transaction back, and the number with it (no gap)."""
    states.check("issue", invoice.status)
    profile = await customer_profile(tx, invoice.customer_id)
    version = invoice.version
    year, changes, history = _issued(tx, invoice, profile)
    found = await _unwaived(tx, invoice, profile)
    if found and override is None:  # refused: the number is taken only to list its format's violation too
        await take_number(tx, invoice, version=version, year=year)
        found = await _unwaived(tx, invoice, profile)
    await _refuse_or_override(tx, invoice, found, step="issue", override=override)
    if not await _numbered_and_recorded(tx, invoice, version=version, year=year, changes=changes, history=history):
        raise RuntimeError(f"invoice {invoice.id} changed while locked")
    await _refuse_or_override(tx, invoice, _not_waived(invoice, number_violations(invoice, profile)), step="issue",
                              override=override)
    return invoice


async def issue_at_once(tx: Tx, invoice: Invoice, profile: BillingProfile | None) -> bool:
    """:func:`issue` by its one statement alone, committed by PostgreSQL as it ends (``tx`` from
    ``Transactions.each_statement``), for an invoice read without a lock: the statement's guard (still approved, at
    the version read) stands in for the lock, so the counter row is held for that statement only. Only where the
    customer's portal rules hold and none needs the number (its format) or other rows (attachments). False when it
    was not issued so: the caller issues it the locked way, which answers a stale If-Match, a refusal or an override
    as :func:`issue` does."""
    states.check("issue", invoice.status)
    if not checked_before_numbering(profile) or _not_waived(invoice, rule_violations(invoice, profile)):
        return False
    version = invoice.version
    year, changes, history = _issued(tx, invoice, profile)
    return await _numbered_and_recorded(tx, invoice, version=version, year=year, changes=changes, history=history)


def _issued(tx: Tx, invoice: Invoice, profile: BillingProfile | None) -> tuple[int, dict[str, object], AlsoRow]:
    """The issue's dates and billing deadline and its status set on the invoice (as stored values): the year of its
    number, the columns the issue's statement writes and its history row."""
    issue_date = invoice.requested_issue_date or tx.now().date()
    changes: dict[str, object] = {
        "issue_date": issue_date,
        "due_date": due_date_for(issue_date, terms=invoice.payment_terms, days=invoice.payment_terms_days)}
    if profile is not None:
        changes["billing_deadline"] = billing_deadline(
            profile.billing_cadence, profile.billing_lag_days, service_period_end=invoice.service_period_end,
            requested_issue_date=invoice.requested_issue_date, prepared_on=invoice.created_at.date())
    written, history = staged(tx, invoice, changes, to=InvoiceStatus.ISSUED)
    return issue_date.year, written, history


async def _numbered_and_recorded(tx: Tx, invoice: Invoice, *, version: int, year: int, changes: dict[str, object],
                                 history: AlsoRow) -> bool:
    """The issue's one statement: the number taken and written with ``changes``, the history row, the audit entry and
    ``invoice.issued``, while the invoice is still approved at ``version``. False when it was not (nothing written,
    no number taken)."""
    now = tx.now()
    fill = repository.invoice_number_fill(invoice_id=invoice.id, version=version, series=invoice.legal_entity,
                                          year=year, changes=changes)
    taken = await tx.audit_and_emit_filled(
        fill, "invoice.issued", issued_fact(invoice, issued_at=now, number=fill.token), entity_type="invoice",
        entity_id=invoice.id, after={"number": fill.token, "total": invoice.total_amount}, also=history)
    if taken is None:
        return False
    _write_number(invoice, year=year, sequence=int(taken.last_number), number=str(taken.value),
                  version=int(taken.version))
    return True


async def take_number(tx: Tx, invoice: Invoice, *, version: int, year: int) -> None:
    """The live series' next number of the invoice's legal entity, written on the invoice (a statement of its own)."""
    sequence, number, stored = await repository.number_invoice(tx.session, invoice_id=invoice.id, version=version,
                                                              series=invoice.legal_entity, year=year)
    _write_number(invoice, year=year, sequence=sequence, number=number, version=stored)


def _write_number(invoice: Invoice, *, year: int, sequence: int, number: str, version: int) -> None:
    if number != numbering.live_number(invoice.legal_entity, year, sequence):
        raise RuntimeError(f"invoice number {number!r} is not the live series' number {sequence} of {year}")
    set_committed_value(invoice, "number", number)  # written by the statement: nothing for the ORM to flush
    set_committed_value(invoice, "version", version)


async def cancel(tx: Tx, invoice: Invoice, *, reason: str) -> Invoice:
    states.check("cancel", invoice.status)
    previous = invoice.status
    history = await moved(tx, invoice, to=InvoiceStatus.CANCELLED, note=reason)
    await tx.audit_and_emit("invoice.cancelled", InvoiceCancelled(
        invoice_id=invoice.id, legal_entity=invoice.legal_entity, customer_id=invoice.customer_id,
        currency=invoice.currency, amount=invoice.total_amount, previous_status=previous,
        reason=reason, cancelled_by=tx.actor.subject, cancelled_at=tx.now(), owning_team=invoice.owning_team),
        entity_type="invoice", entity_id=invoice.id, reason=reason, before={"status": previous}, also=history)
    return invoice
