"""Invoice and credit-note documents from stored data: cXML InvoiceDetailRequest / credit memo (Ariba, Coupa)
and UBL 2.1 Invoice / CreditNote (Peppol BIS Billing 3.0).

The seller comes from the legal entity's configuration (``InvoicingSettings.legal_entities``), the buyer from
the billing profile (name, address, VAT id, Peppol participant id or e-mail, VAT treatment); see
docs/invoicing.md for what each field becomes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from o2c_invoicing.channels import cxml as cxml_format, ubl as ubl_format
from o2c_invoicing.channels.einvoice import (
    DocumentError,
    EDocument,
    Line,
    Party,
    PaymentInfo,
    Reference,
    TaxCategory,
    category,
)
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.legal_entities import (
    DEMO_LEGAL_ENTITIES,
    VAT_EAS,
    Endpoint,
    LegalEntity,
    PostalAddress,
    seller,
)
from o2c_invoicing.profiles.models import BillingProfile


class CreditNote(Protocol):
    """What a credit-note document needs of a stored credit note (``creditnotes.models.CreditNote``, which the
    channels do not import: the credit-note aggregate sends through them)."""

    @property
    def number(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def tax_amount(self) -> Decimal: ...
    @property
    def reason(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def issue_date(self) -> date: ...


# Kept for the simulator and older callers.
UBL_NS = ubl_format.INVOICE_NS
CAC, CBC = ubl_format.CAC, ubl_format.CBC
PEPPOL_CUSTOMIZATION, PEPPOL_PROFILE = ubl_format.PEPPOL_CUSTOMIZATION, ubl_format.PEPPOL_PROFILE
CXML_DOCTYPE = cxml_format.CXML_DOCTYPE
UNIT_CODE = "EA"  # UN/ECE Rec 20 "each": the stored lines carry no unit of measure

__all__ = ["CAC", "CBC", "CXML_DOCTYPE", "PEPPOL_CUSTOMIZATION", "PEPPOL_PROFILE", "UBL_NS", "DocumentError",
           "credit_note_document", "cxml_credit_memo", "cxml_invoice", "invoice_document", "ubl_credit_note",
           "ubl_invoice"]


def _options(profile: BillingProfile) -> dict[str, Any]:
    return dict(getattr(profile, "e_invoicing", None) or {})


def buyer_party(profile: BillingProfile, entity: LegalEntity) -> Party:
    """The buyer from the billing profile. A tax id with a country prefix is the VAT identifier (BT-48);
    one without (a US EIN, say) is the legal registration (BT-47). The electronic address (BT-49) is the
    Peppol participant id, else the VAT id (or US EIN) under its country's EAS scheme (9930 DE, 9944 NL,
    9959 US EIN, ...). No address on the profile: the seller's country (a domestic customer), no street."""
    options = _options(profile)
    raw_address = getattr(profile, "address", None)
    address = PostalAddress.model_validate(raw_address) if raw_address else PostalAddress(
        country=entity.address.country)
    endpoint: Endpoint | None = None
    if profile.peppol_participant_id:
        try:
            endpoint = Endpoint.parse(profile.peppol_participant_id)
        except ValueError as exc:
            raise DocumentError(str(exc), "#/peppol_participant_id") from exc
    tax_id = profile.tax_id
    vat_id = tax_id if tax_id and re.match(r"^[A-Z]{2}[A-Z0-9+*.]{2,}$", tax_id) else None
    if endpoint is None and vat_id and vat_id[:2] in VAT_EAS:
        endpoint = Endpoint(scheme=VAT_EAS[vat_id[:2]], value=vat_id)
    elif endpoint is None and tax_id and address.country == "US" and re.fullmatch(r"(US-?)?\d{2}-?\d{7}", tax_id):
        endpoint = Endpoint(scheme=VAT_EAS["US"], value=re.sub(r"\D", "", tax_id))
    registration = options.get("company_id") or (tax_id if tax_id and vat_id is None else None)
    return Party(name=profile.name, address=address, endpoint=endpoint, vat_id=vat_id,
                 legal_registration=registration, legal_registration_scheme=options.get("company_id_scheme"),
                 email=profile.email)


def line_category(rate: Decimal, profile: BillingProfile, pointer: str) -> TaxCategory:
    """Rate above zero: standard rated (S). Rate zero: the profile's VAT treatment (Z by default; E, AE, K,
    G or O with their exemption reason) — which category applies depends on the customer, not the line."""
    options = _options(profile)
    code = options.get("tax_category") or "Z"
    if rate > 0:
        if code not in ("S", "Z"):
            raise DocumentError(f"the customer's VAT treatment is {code} (rate 0) but the line has "
                                f"{rate * 100} %", pointer)
        return category("S", (rate * 100).normalize() if rate else Decimal(0))
    if code == "S":
        code = "Z"
    return category(code, reason=options.get("exemption_reason"),
                    reason_code=options.get("exemption_reason_code"))


def _terms(invoice: Invoice) -> str:
    if invoice.payment_terms == "eom":
        return f"{invoice.payment_terms_days} days after end of month"
    return f"Net {invoice.payment_terms_days} days"


def invoice_document(invoice: Invoice, profile: BillingProfile,
                     entities: Mapping[str, LegalEntity] | None = None) -> EDocument:
    if invoice.number is None or invoice.issue_date is None:
        raise DocumentError("only an issued invoice (numbered and dated) has a document", "#/status")
    entity = seller(dict(entities or DEMO_LEGAL_ENTITIES), invoice.legal_entity)
    buyer = buyer_party(profile, entity)
    lines: list[Line] = []
    booked: dict[tuple[str, Decimal], Decimal] = {}
    for line in invoice.lines:
        cat = line_category(line.tax_rate, profile, f"#/lines/{line.position - 1}/tax_rate")
        lines.append(Line(id=str(line.position), name=line.description[:100] or "-", quantity=line.quantity,
                          unit_price=line.unit_price, net_amount=line.net_amount, category=cat,
                          unit_code=UNIT_CODE, po_line=line.po_line,
                          description=line.description if len(line.description) > 100 else None))
        booked[cat.key] = booked.get(cat.key, Decimal(0)) + line.tax_amount
    net = sum((line.net_amount for line in invoice.lines), Decimal(0))
    tax = sum((line.tax_amount for line in invoice.lines), Decimal(0))
    if (net, tax, net + tax) != (invoice.net_amount, invoice.tax_amount, invoice.total_amount):
        raise DocumentError(f"invoice {invoice.number}: stored totals {invoice.net_amount}/{invoice.tax_amount}/"
                            f"{invoice.total_amount} differ from its lines' {net}/{tax}/{net + tax}", "#/total_amount")
    period = (invoice.service_period_start, invoice.service_period_end) \
        if invoice.service_period_start and invoice.service_period_end else None
    notes = []
    if invoice.credited_amount:
        notes.append(f"Credited by credit notes so far: {invoice.credited_amount.normalize():f} {invoice.currency}")
    intra = any(line.category.code == "K" for line in lines)
    return EDocument(
        kind="invoice", number=invoice.number, issue_date=invoice.issue_date, due_date=invoice.due_date,
        currency=invoice.currency, seller=Party.seller(entity), buyer=buyer, lines=lines,
        buyer_reference=invoice.buyer_reference or invoice.po_number or invoice.customer_id,
        order_reference=invoice.po_number,
        prepaid_amount=invoice.paid_amount, period=period,
        delivery_country=buyer.address.country if intra else None,
        payment=PaymentInfo(iban=entity.iban, bic=entity.bic, remittance=invoice.number),
        payment_terms=_terms(invoice), notes=notes, booked_tax=booked, buyer_account=invoice.customer_id)


def credit_note_document(credit: CreditNote, invoice: Invoice, profile: BillingProfile,
                         entities: Mapping[str, LegalEntity] | None = None) -> EDocument:
    """A credit note of the whole invoice repeats its lines; a partial one has one line per VAT category of
    the invoice, the credited gross amount and its tax split by the categories' shares."""
    base = invoice_document(invoice, profile, entities)
    if credit.amount == invoice.total_amount:
        lines, booked = base.lines, base.booked_tax
    else:
        lines, booked = [], {}
        groups = [(cat, taxable, tax) for cat, taxable, tax in base.breakdown()]
        remaining_gross, remaining_tax = credit.amount, credit.tax_amount
        total_tax = sum((tax for _, _, tax in groups), Decimal(0))
        for index, (cat, taxable, tax) in enumerate(groups):
            last = index == len(groups) - 1
            gross_c = remaining_gross if last else base.round(credit.amount * (taxable + tax) / invoice.total_amount)
            tax_c = remaining_tax if last else (base.round(credit.tax_amount * tax / total_tax) if total_tax
                                                else Decimal(0))
            remaining_gross, remaining_tax = remaining_gross - gross_c, remaining_tax - tax_c
            net_c = gross_c - tax_c
            lines.append(Line(id=str(index + 1), name=f"Credit on invoice {invoice.number} ({credit.reason})",
                              quantity=Decimal(1), unit_price=net_c, net_amount=net_c, category=cat,
                              unit_code=UNIT_CODE))
            booked[cat.key] = tax_c
    notes = [f"Reason: {credit.reason}" + (f" - {credit.note}" if credit.note else "")]
    return EDocument(
        kind="credit_note", number=credit.number, issue_date=credit.issue_date, currency=credit.currency,
        seller=base.seller, buyer=base.buyer, lines=lines, buyer_reference=base.buyer_reference,
        order_reference=base.order_reference,
        billing_reference=Reference(invoice.number or "", invoice.issue_date), period=base.period,
        delivery_country=base.delivery_country, payment=base.payment, notes=notes, booked_tax=booked,
        buyer_account=base.buyer_account)


def ubl_invoice(invoice: Invoice, profile: BillingProfile,
                entities: Mapping[str, LegalEntity] | None = None) -> bytes:
    """UBL 2.1 Invoice following Peppol BIS Billing 3.0."""
    return ubl_format.render(invoice_document(invoice, profile, entities))


def ubl_credit_note(credit: CreditNote, invoice: Invoice, profile: BillingProfile,
                    entities: Mapping[str, LegalEntity] | None = None) -> bytes:
    """UBL 2.1 CreditNote following Peppol BIS Billing 3.0, referring to its invoice."""
    return ubl_format.render(credit_note_document(credit, invoice, profile, entities))


def _to(invoice: Invoice, profile: BillingProfile) -> str:
    return profile.portal_account or invoice.customer_id


def cxml_invoice(invoice: Invoice, profile: BillingProfile, *, sender: str = "o2c",
                 entities: Mapping[str, LegalEntity] | None = None) -> bytes:
    """cXML InvoiceDetailRequest (purpose standard)."""
    return cxml_format.render(invoice_document(invoice, profile, entities), from_identity=invoice.legal_entity,
                              to_identity=_to(invoice, profile), sender_identity=sender)


def cxml_credit_memo(credit: CreditNote, invoice: Invoice, profile: BillingProfile, *, sender: str = "o2c",
                     entities: Mapping[str, LegalEntity] | None = None) -> bytes:
    """cXML credit memo: ``lineLevelCreditMemo`` for a credit of the whole invoice (its lines, negative),
    ``creditMemo`` (header level) for a partial one."""
    doc = credit_note_document(credit, invoice, profile, entities)
    purpose = "lineLevelCreditMemo" if credit.amount == invoice.total_amount else "creditMemo"
    return cxml_format.render(doc, purpose=purpose, from_identity=invoice.legal_entity,
                              to_identity=_to(invoice, profile), sender_identity=sender)
