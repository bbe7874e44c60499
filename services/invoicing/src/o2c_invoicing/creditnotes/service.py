"""Credit notes, full or partial, against an issued invoice; numbered gapless in their own series.

A credit is accepted whatever the portal says (issued, at the portal, paid by the customer…): what is owed is
the AR ledger's, which posts the credit (capped at what is open there) and tells every service through
``receivable.changed``. Here a credit is capped only by what earlier credit notes left (total - credited)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from o2c_common.events.contracts.collections import CreditNoteRequested
from o2c_common.events.contracts.invoicing import CreditNoteIssued
from o2c_common.money import round_money
from o2c_common.text import money
from o2c_common.tx import Tx
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.creditnotes import repository
from o2c_invoicing.creditnotes.errors import OverHandCreditLimit
from o2c_invoicing.creditnotes.models import CreditNote
from o2c_invoicing.invoices import repository as invoices, states
from o2c_invoicing.invoices.errors import CreditExceedsOpenAmount
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.invoices.service import get, lock


def _tax_of(invoice: Invoice, gross: Decimal) -> Decimal:
    if not invoice.total_amount:
        return Decimal(0)
    return round_money(gross * invoice.tax_amount / invoice.total_amount, invoice.currency)


def _credit_amounts(invoice: Invoice, amount: Decimal | None) -> tuple[Decimal, Decimal]:
    """(gross, tax) of a credit of ``amount`` (everything still creditable when None); 422 beyond it."""
    creditable = invoice.creditable_amount
    gross = round_money(amount, invoice.currency) if amount is not None else creditable
    if gross <= 0 or gross > creditable:
        raise CreditExceedsOpenAmount(
            f"credit {money(gross, invoice.currency)} exceeds what may still be credited on invoice "
            f"{invoice.number} ({money(creditable, invoice.currency)}: total less earlier credit notes)",
            extensions={"creditable_amount": str(round_money(creditable, invoice.currency)),
                        "requested": str(gross)})
    return gross, _tax_of(invoice, gross)


async def issue_credit_note(tx: Tx, invoice: Invoice, *, amount: Decimal | None, reason: str, note: str | None,
                            request_id: uuid.UUID | None = None, deduction_id: uuid.UUID | None = None,
                            dispute_id: uuid.UUID | None = None) -> CreditNote:
    """Credit the (locked) issued invoice. Its status does not move: the ledger's entry settles it."""
    states.check("credit", invoice.status)
    creditable = invoice.creditable_amount
    gross, tax = _credit_amounts(invoice, amount)
    return await _issue(tx, invoice, gross=gross, tax=tax, full=gross == creditable, reason=reason, note=note,
                        request_id=request_id, deduction_id=deduction_id, dispute_id=dispute_id)


async def issue_by_hand(tx: Tx, invoice: Invoice, *, amount: Decimal | None, reason: str, note: str | None,
                        settings: InvoicingSettings) -> CreditNote:
    """A credit note one person (holding an approving role) issues by hand: all hand-issued notes of the invoice
    together stay within its currency's ``hand_credit_limits``; a larger credit needs a second person (a dispute
    credited in collections, or a credit and rebill), so it is refused here (403 ``over-credit-limit``)."""
    states.check("credit", invoice.status)
    gross, _ = _credit_amounts(invoice, amount)
    before = await repository.hand_issued_total(tx.session, invoice_id=invoice.id)
    limit = settings.hand_credit_limits.get(invoice.currency, settings.hand_credit_limit_default)
    if limit is None or before + gross > limit:
        currency = invoice.currency
        within = (f"no credit in {currency} is issued by hand" if limit is None else
                  f"{money(gross, currency)} with the {money(before, currency)} credited by hand before is above "
                  f"the {money(limit, currency)} one person may credit by hand on invoice {invoice.number}")
        raise OverHandCreditLimit(f"{within}: credit it through a dispute in collections (approved by a second "
                                  "person) or a credit and rebill", extensions={
                                      "limit": None if limit is None else str(limit), "currency": currency,
                                      "credited_by_hand": str(before), "requested": str(gross)})
    return await issue_credit_note(tx, invoice, amount=amount, reason=reason, note=note)


async def _issue(tx: Tx, invoice: Invoice, *, gross: Decimal, tax: Decimal, full: bool, reason: str,
                 note: str | None, request_id: uuid.UUID | None, deduction_id: uuid.UUID | None,
                 dispute_id: uuid.UUID | None, approval: tuple[str, str] | None = None) -> CreditNote:
    now = tx.now()
    sequence = await invoices.next_number(tx.session, series=f"CN:{invoice.legal_entity}", year=now.year)
    credit = await repository.add(tx.session, CreditNote(
        id=uuid.uuid4(), invoice_id=invoice.id, number=f"{invoice.legal_entity}-CN-{now.year}-{sequence:06d}",
        legal_entity=invoice.legal_entity, currency=invoice.currency, amount=gross, tax_amount=tax,
        full=full, reason=reason, note=note, issue_date=now.date(), request_id=request_id,
        created_by=tx.actor.subject, requested_by=approval[0] if approval else None,
        approved_by=approval[1] if approval else None))
    invoice.credited_amount += gross
    await invoices.flush(tx.session)
    await tx.audit("credit_note.issued", entity_type="invoice", entity_id=invoice.id, reason=note,
                   after={"credit_note": credit.number, "amount": gross, "invoice_status": invoice.status,
                          **({"requested_by": approval[0], "approved_by": approval[1]} if approval else {})})
    assert invoice.number is not None
    await tx.emit(CreditNoteIssued(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, credit_note_id=credit.id,
        credit_note_number=credit.number, currency=invoice.currency, amount=gross, tax_amount=tax,
        full=credit.full, reason=reason, issue_date=credit.issue_date, issued_at=now,
        request_id=request_id, deduction_id=deduction_id, dispute_id=dispute_id))
    return credit


async def issue_requested(tx: Tx, fact: CreditNoteRequested) -> CreditNote | None:
    """A credit requested by collections (a deduction or dispute credited), issued once per request id, in any
    status after issue and whatever the portal says, for at most what earlier credit notes left. Maker-checker:
    only a request carrying its approval by a second person (``approved_by`` set and not ``requested_by``) is
    issued. Not approved, nothing left, or the invoice was never issued: the refusal is audited
    (``credit_note.request_refused``) and nothing is emitted; the event is never dead-lettered for it. An invoice
    unknown here raises (visible in the DLQ)."""
    if await repository.by_request(tx.session, request_id=fact.request_id) is not None:
        return None
    invoice = await lock(tx, fact.invoice_id)
    if not fact.approved_by or fact.approved_by == fact.requested_by:
        await tx.audit("credit_note.request_refused", entity_type="invoice", entity_id=invoice.id,
                       reason=f"the credit of {money(fact.amount, fact.currency)} requested by {fact.requested_by} "
                              "was not approved by a second person",
                       after={"request_id": fact.request_id, "requested": fact.amount,
                              "requested_by": fact.requested_by,
                              "approved_by": fact.approved_by, "deduction_id": fact.deduction_id,
                              "dispute_id": fact.dispute_id})
        return None
    creditable = invoice.creditable_amount
    gross = min(round_money(fact.amount, invoice.currency), creditable)
    if gross <= 0 or not states.allowed("credit", invoice.status):
        why = (f"invoice {invoice.number or invoice.id} is {invoice.status}" if gross > 0 else
               f"nothing left to credit on invoice {invoice.number} (credit notes already cover its total)")
        await tx.audit("credit_note.request_refused", entity_type="invoice", entity_id=invoice.id, reason=why,
                       after={"request_id": fact.request_id, "requested": fact.amount, "creditable": creditable,
                              "deduction_id": fact.deduction_id, "dispute_id": fact.dispute_id})
        return None
    return await _issue(tx, invoice, gross=gross, tax=_tax_of(invoice, gross), full=gross == creditable,
                        reason=fact.reason, note=fact.reason_code, request_id=fact.request_id,
                        deduction_id=fact.deduction_id, dispute_id=fact.dispute_id,
                        approval=(fact.requested_by, fact.approved_by))


async def list_for(tx: Tx, invoice_id: uuid.UUID) -> list[CreditNote]:
    await get(tx, invoice_id)
    return await repository.for_invoice(tx.session, invoice_id=invoice_id)
