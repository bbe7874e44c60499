"""Invoice documents: cXML InvoiceDetailRequest (Ariba, Coupa) and UBL 2.1 / Peppol BIS Billing 3.0."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal

from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.profiles.models import BillingProfile

UBL_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CXML_DOCTYPE = '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.057/InvoiceDetail.dtd">'

ET.register_namespace("", UBL_NS)
ET.register_namespace("cac", CAC)
ET.register_namespace("cbc", CBC)


def _money(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value.normalize())


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def cxml_invoice(invoice: Invoice, profile: BillingProfile, *, sender: str = "o2c") -> bytes:
    """cXML 1.2 InvoiceDetailRequest: Header (From/To/Sender) and Request with the invoice detail."""
    assert invoice.number is not None and invoice.issue_date is not None
    now = datetime.now(UTC).isoformat(timespec="seconds")
    root = ET.Element("cXML", {"payloadID": f"{uuid.uuid4()}@o2c", "timestamp": now, "version": "1.2.057"})
    header = _sub(root, "Header")
    for role, identity in (("From", invoice.legal_entity), ("To", profile.portal_account or invoice.customer_id),
                           ("Sender", sender)):
        party = _sub(header, role)
        _sub(_sub(party, "Credential", domain="NetworkID"), "Identity", identity)
    _sub(party, "UserAgent", "o2c invoicing")
    request = _sub(_sub(root, "Request", deploymentMode="production"), "InvoiceDetailRequest")
    detail = _sub(request, "InvoiceDetailRequestHeader", invoiceID=invoice.number, purpose="standard",
                  operation="new", invoiceDate=f"{invoice.issue_date.isoformat()}T00:00:00+00:00")
    _sub(detail, "InvoiceDetailHeaderIndicator")
    _sub(detail, "InvoiceDetailLineIndicator", isTaxInLine="yes")
    partner = _sub(_sub(detail, "InvoicePartner"), "Contact", role="billTo", addressID=invoice.customer_id)
    _sub(partner, "Name", profile.name, **{"xml:lang": "en"})
    if invoice.due_date is not None:
        _sub(detail, "PaymentTerm", payInNumberOfDays=str((invoice.due_date - invoice.issue_date).days))
    order = _sub(request, "InvoiceDetailOrder")
    info = _sub(order, "InvoiceDetailOrderInfo")
    _sub(info, "OrderReference", orderID=invoice.po_number or "")
    for line in invoice.lines:
        item = _sub(order, "InvoiceDetailItem", invoiceLineNumber=str(line.position),
                    quantity=str(line.quantity.normalize()))
        _sub(item, "UnitOfMeasure", "EA")
        _sub(_sub(item, "UnitPrice"), "Money", _money(line.unit_price), currency=invoice.currency)
        ref = _sub(item, "InvoiceDetailItemReference", lineNumber=line.po_line or str(line.position))
        _sub(ref, "Description", line.description, **{"xml:lang": "en"})
        _sub(_sub(item, "SubtotalAmount"), "Money", _money(line.net_amount), currency=invoice.currency)
        tax = _sub(item, "Tax")
        _sub(tax, "Money", _money(line.tax_amount), currency=invoice.currency)
        _sub(tax, "Description", f"{line.tax_rate * 100:.2f}% VAT", **{"xml:lang": "en"})
    summary = _sub(request, "InvoiceDetailSummary")
    for tag, value in (("SubtotalAmount", invoice.net_amount), ("Tax", invoice.tax_amount),
                       ("GrossAmount", invoice.total_amount), ("NetAmount", invoice.total_amount),
                       ("DueAmount", invoice.open_amount)):
        element = _sub(summary, tag)
        _sub(element, "Money", _money(value), currency=invoice.currency)
        if tag == "Tax":
            _sub(element, "Description", "Total tax", **{"xml:lang": "en"})
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{CXML_DOCTYPE}\n{body}'.encode()


def _c(tag: str) -> str:
    return f"{{{CAC}}}{tag}"


def _b(tag: str) -> str:
    return f"{{{CBC}}}{tag}"


def _party(parent: ET.Element, tag: str, *, name: str, endpoint: str | None, tax_id: str | None,
           country: str = "US") -> None:
    party = _sub(_sub(parent, _c(tag)), _c("Party"))
    if endpoint:
        scheme, _, value = endpoint.partition(":")
        _sub(party, _b("EndpointID"), value, schemeID=scheme)
    _sub(_sub(party, _c("PostalAddress")), _c("Country")).append(_text(_b("IdentificationCode"), country))
    if tax_id:
        tax_scheme = _sub(party, _c("PartyTaxScheme"))
        _sub(tax_scheme, _b("CompanyID"), tax_id)
        _sub(_sub(tax_scheme, _c("TaxScheme")), _b("ID"), "VAT")
    _sub(_sub(party, _c("PartyLegalEntity")), _b("RegistrationName"), name)


def _text(tag: str, text: str) -> ET.Element:
    element = ET.Element(tag)
    element.text = text
    return element


def ubl_invoice(invoice: Invoice, profile: BillingProfile) -> bytes:
    """UBL 2.1 Invoice following Peppol BIS Billing 3.0 (the mandatory elements, in schema order)."""
    assert invoice.number is not None and invoice.issue_date is not None
    cur = invoice.currency
    root = ET.Element(f"{{{UBL_NS}}}Invoice")
    _sub(root, _b("CustomizationID"), PEPPOL_CUSTOMIZATION)
    _sub(root, _b("ProfileID"), PEPPOL_PROFILE)
    _sub(root, _b("ID"), invoice.number)
    _sub(root, _b("IssueDate"), invoice.issue_date.isoformat())
    if invoice.due_date is not None:
        _sub(root, _b("DueDate"), invoice.due_date.isoformat())
    _sub(root, _b("InvoiceTypeCode"), "380")
    _sub(root, _b("DocumentCurrencyCode"), cur)
    _sub(root, _b("BuyerReference"), invoice.po_number or invoice.customer_id)
    if invoice.service_period_start and invoice.service_period_end:
        period = _sub(root, _c("InvoicePeriod"))
        _sub(period, _b("StartDate"), invoice.service_period_start.isoformat())
        _sub(period, _b("EndDate"), invoice.service_period_end.isoformat())
    if invoice.po_number:
        _sub(_sub(root, _c("OrderReference")), _b("ID"), invoice.po_number)
    _party(root, "AccountingSupplierParty", name=f"o2c {invoice.legal_entity}",
           endpoint=f"0088:{invoice.legal_entity}", tax_id=None)
    _party(root, "AccountingCustomerParty", name=profile.name, endpoint=profile.peppol_participant_id,
           tax_id=profile.tax_id)
    tax_total = _sub(root, _c("TaxTotal"))
    _sub(tax_total, _b("TaxAmount"), _money(invoice.tax_amount), currencyID=cur)
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in invoice.lines:
        net, tax = by_rate.get(line.tax_rate, (Decimal(0), Decimal(0)))
        by_rate[line.tax_rate] = (net + line.net_amount, tax + line.tax_amount)
    for rate, (net, tax) in sorted(by_rate.items()):
        sub = _sub(tax_total, _c("TaxSubtotal"))
        _sub(sub, _b("TaxableAmount"), _money(net), currencyID=cur)
        _sub(sub, _b("TaxAmount"), _money(tax), currencyID=cur)
        category = _sub(sub, _c("TaxCategory"))
        _sub(category, _b("ID"), "S" if rate else "Z")
        _sub(category, _b("Percent"), f"{rate * 100:.2f}")
        _sub(_sub(category, _c("TaxScheme")), _b("ID"), "VAT")
    totals = _sub(root, _c("LegalMonetaryTotal"))
    for tag, value in (("LineExtensionAmount", invoice.net_amount), ("TaxExclusiveAmount", invoice.net_amount),
                       ("TaxInclusiveAmount", invoice.total_amount), ("PayableAmount", invoice.open_amount)):
        _sub(totals, _b(tag), _money(value), currencyID=cur)
    for line in invoice.lines:
        element = _sub(root, _c("InvoiceLine"))
        _sub(element, _b("ID"), str(line.position))
        _sub(element, _b("InvoicedQuantity"), str(line.quantity.normalize()), unitCode="EA")
        _sub(element, _b("LineExtensionAmount"), _money(line.net_amount), currencyID=cur)
        if line.po_line:
            _sub(_sub(element, _c("OrderLineReference")), _b("LineID"), line.po_line)
        item = _sub(element, _c("Item"))
        _sub(item, _b("Name"), line.description[:100])
        category = _sub(item, _c("ClassifiedTaxCategory"))
        _sub(category, _b("ID"), "S" if line.tax_rate else "Z")
        _sub(category, _b("Percent"), f"{line.tax_rate * 100:.2f}")
        _sub(_sub(category, _c("TaxScheme")), _b("ID"), "VAT")
        _sub(_sub(element, _c("Price")), _b("PriceAmount"), _money(line.unit_price), currencyID=cur)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
