"""UBL 2.1 Invoice and CreditNote following Peppol BIS Billing 3.0 (CEN EN16931 core), rendered from an
:class:`~o2c_invoicing.channels.einvoice.EDocument` with every element in the order of the UBL 2.1 schema."""

from __future__ import annotations

from typing import Any

from lxml import etree

from o2c_invoicing.channels.einvoice import (
    AllowanceCharge,
    EDocument,
    Party,
    TaxCategory,
    check_peppol_addresses,
    plain,
    plain_quantity,
)

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_TYPE = "380"  # UNCL1001 commercial invoice
CREDIT_NOTE_TYPE = "381"  # UNCL1001 credit note


def _c(parent: Any, tag: str) -> Any:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _b(parent: Any, tag: str, text: str, **attrib: str) -> Any:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrib)
    element.text = text
    return element


def _tax_category(parent: Any, tag: str, cat: TaxCategory, *, reasons: bool) -> None:
    element = _c(parent, tag)
    _b(element, "ID", cat.code)
    if cat.code != "O":  # BR-O-05: no rate on "not subject to VAT"
        _b(element, "Percent", plain(cat.percent))
    if reasons and cat.exemption_reason_code:
        _b(element, "TaxExemptionReasonCode", cat.exemption_reason_code)
    if reasons and cat.exemption_reason:
        _b(element, "TaxExemptionReason", cat.exemption_reason)
    _b(_c(element, "TaxScheme"), "ID", "VAT")


def _party(parent: Any, tag: str, party: Party, *, vat: bool) -> None:
    element = _c(_c(parent, tag), "Party")
    if party.endpoint is not None:
        _b(element, "EndpointID", party.endpoint.value, schemeID=party.endpoint.scheme)
    if party.trading_name:
        _b(_c(element, "PartyName"), "Name", party.trading_name)
    address = _c(element, "PostalAddress")
    a = party.address
    for name, value in (("StreetName", a.street), ("AdditionalStreetName", a.additional_street),
                        ("CityName", a.city), ("PostalZone", a.postal_code), ("CountrySubentity", a.subdivision)):
        if value:
            _b(address, name, value)
    _b(_c(address, "Country"), "IdentificationCode", a.country)
    if vat and party.vat_id:
        scheme = _c(element, "PartyTaxScheme")
        _b(scheme, "CompanyID", party.vat_id)
        _b(_c(scheme, "TaxScheme"), "ID", "VAT")
    if party.tax_registration:
        scheme = _c(element, "PartyTaxScheme")
        _b(scheme, "CompanyID", party.tax_registration)
        _b(_c(scheme, "TaxScheme"), "ID", "TAX")
    legal = _c(element, "PartyLegalEntity")
    _b(legal, "RegistrationName", party.name)
    if party.legal_registration:
        attrib = {"schemeID": party.legal_registration_scheme} if party.legal_registration_scheme else {}
        _b(legal, "CompanyID", party.legal_registration, **attrib)
    if party.legal_form:
        _b(legal, "CompanyLegalForm", party.legal_form)
    if party.email:
        _b(_c(element, "Contact"), "ElectronicMail", party.email)


def _allowance_charge(parent: Any, doc: EDocument, ac: AllowanceCharge) -> None:
    element = _c(parent, "AllowanceCharge")
    _b(element, "ChargeIndicator", "true" if ac.charge else "false")
    if ac.reason_code:
        _b(element, "AllowanceChargeReasonCode", ac.reason_code)
    if ac.reason:
        _b(element, "AllowanceChargeReason", ac.reason)
    _b(element, "Amount", doc.amount(ac.amount), currencyID=doc.currency)
    _tax_category(element, "TaxCategory", ac.category, reasons=False)


def render(doc: EDocument) -> bytes:
    """The UBL 2.1 Invoice (kind ``invoice``) or CreditNote (kind ``credit_note``) of ``doc``."""
    doc.check()
    check_peppol_addresses(doc)
    credit = doc.kind == "credit_note"
    ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: ns, "cac": CAC,
                                                                                     "cbc": CBC})
    cur = doc.currency
    breakdown = doc.breakdown()
    not_subject = any(cat.code == "O" for cat, _, _ in breakdown)
    _b(root, "CustomizationID", PEPPOL_CUSTOMIZATION)
    _b(root, "ProfileID", PEPPOL_PROFILE)
    _b(root, "ID", doc.number)
    _b(root, "IssueDate", doc.issue_date.isoformat())
    if not credit and doc.due_date is not None:
        _b(root, "DueDate", doc.due_date.isoformat())
    _b(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", CREDIT_NOTE_TYPE if credit else INVOICE_TYPE)
    for note in doc.notes:
        _b(root, "Note", note)
    _b(root, "DocumentCurrencyCode", cur)
    if doc.buyer_reference:
        _b(root, "BuyerReference", doc.buyer_reference)
    if doc.period is not None:
        period = _c(root, "InvoicePeriod")
        _b(period, "StartDate", doc.period[0].isoformat())
        _b(period, "EndDate", doc.period[1].isoformat())
    if doc.order_reference:
        _b(_c(root, "OrderReference"), "ID", doc.order_reference)
    if doc.billing_reference is not None:
        reference = _c(_c(root, "BillingReference"), "InvoiceDocumentReference")
        _b(reference, "ID", doc.billing_reference.number)
        if doc.billing_reference.issue_date is not None:
            _b(reference, "IssueDate", doc.billing_reference.issue_date.isoformat())
    _party(root, "AccountingSupplierParty", doc.seller, vat=not not_subject)
    _party(root, "AccountingCustomerParty", doc.buyer, vat=not not_subject)
    if doc.delivery_date is not None or doc.delivery_country:
        delivery = _c(root, "Delivery")
        if doc.delivery_date is not None:
            _b(delivery, "ActualDeliveryDate", doc.delivery_date.isoformat())
        if doc.delivery_country:
            _b(_c(_c(_c(delivery, "DeliveryLocation"), "Address"), "Country"), "IdentificationCode",
               doc.delivery_country)
    if doc.payment is not None and doc.payment.iban:
        means = _c(root, "PaymentMeans")
        _b(means, "PaymentMeansCode", doc.payment.means_code)
        if credit and doc.due_date is not None:
            _b(means, "PaymentDueDate", doc.due_date.isoformat())
        if doc.payment.remittance:
            _b(means, "PaymentID", doc.payment.remittance)
        account = _c(means, "PayeeFinancialAccount")
        _b(account, "ID", doc.payment.iban)
        if doc.payment.bic:
            _b(_c(account, "FinancialInstitutionBranch"), "ID", doc.payment.bic)
    if doc.payment_terms:
        _b(_c(root, "PaymentTerms"), "Note", doc.payment_terms)
    for ac in doc.allowances_charges:
        _allowance_charge(root, doc, ac)
    tax_total = _c(root, "TaxTotal")
    _b(tax_total, "TaxAmount", doc.amount(doc.tax_total), currencyID=cur)
    for cat, taxable, tax in breakdown:
        subtotal = _c(tax_total, "TaxSubtotal")
        _b(subtotal, "TaxableAmount", doc.amount(taxable), currencyID=cur)
        _b(subtotal, "TaxAmount", doc.amount(tax), currencyID=cur)
        _tax_category(subtotal, "TaxCategory", cat, reasons=True)
    totals = _c(root, "LegalMonetaryTotal")
    _b(totals, "LineExtensionAmount", doc.amount(doc.line_total), currencyID=cur)
    _b(totals, "TaxExclusiveAmount", doc.amount(doc.tax_exclusive), currencyID=cur)
    _b(totals, "TaxInclusiveAmount", doc.amount(doc.tax_inclusive), currencyID=cur)
    if doc.allowances_charges:
        _b(totals, "AllowanceTotalAmount", doc.amount(doc.allowance_total), currencyID=cur)
        _b(totals, "ChargeTotalAmount", doc.amount(doc.charge_total), currencyID=cur)
    if doc.prepaid_amount:
        _b(totals, "PrepaidAmount", doc.amount(doc.prepaid_amount, "#/paid_amount"), currencyID=cur)
    _b(totals, "PayableAmount", doc.amount(doc.payable), currencyID=cur)
    for line in doc.lines:
        element = _c(root, "CreditNoteLine" if credit else "InvoiceLine")
        _b(element, "ID", line.id)
        _b(element, "CreditedQuantity" if credit else "InvoicedQuantity", plain_quantity(line.quantity),
           unitCode=line.unit_code)
        _b(element, "LineExtensionAmount", doc.amount(line.net_amount), currencyID=cur)
        if line.po_line and doc.order_reference:  # PEPPOL-EN16931-R100 wants the order reference with it
            _b(_c(element, "OrderLineReference"), "LineID", line.po_line)
        item = _c(element, "Item")
        if line.description:
            _b(item, "Description", line.description)
        _b(item, "Name", line.name)
        _tax_category(item, "ClassifiedTaxCategory", line.category, reasons=False)
        _b(_c(element, "Price"), "PriceAmount", plain(line.unit_price.normalize() if line.unit_price else
                                                      line.unit_price), currencyID=cur)
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body
