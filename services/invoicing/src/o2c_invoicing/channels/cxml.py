"""cXML InvoiceDetailRequest (Ariba, Coupa, Tungsten-style portals): invoices (``purpose="standard"``),
line-level credit memos (``lineLevelCreditMemo``: the credited lines with negative quantities and amounts)
and header-level credit memos (``creditMemo``: one amount against the invoice), valid against the cXML
``InvoiceDetail.dtd`` (1.2.037, the newest public one). Amounts are plain decimals, never exponent notation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from o2c_invoicing.channels.einvoice import EDocument, Party, plain, plain_quantity

CXML_VERSION = "1.2.037"
CXML_DOCTYPE = f'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/{CXML_VERSION}/InvoiceDetail.dtd">'
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _described(parent: Any, tag: str, text: str) -> Any:
    element = _sub(parent, tag, text)
    element.set(XML_LANG, "en")
    return element


def _date(value: date) -> str:
    return f"{value.isoformat()}T00:00:00+00:00"


def _money(parent: Any, tag: str, doc: EDocument, value: Decimal) -> Any:
    element = _sub(parent, tag)
    _sub(element, "Money", doc.amount(value), currency=doc.currency)
    return element


def _contact(parent: Any, role: str, party: Party, address_id: str | None) -> None:
    attrib = {"role": role, **({"addressID": address_id} if address_id else {})}
    contact = _sub(_sub(parent, "InvoicePartner"), "Contact", **attrib)
    _described(contact, "Name", party.name)
    address = party.address
    if address.street and address.city:  # the DTD needs Street+ and City
        postal = _sub(contact, "PostalAddress")
        for line in (address.street, address.additional_street):
            if line:
                _sub(postal, "Street", line)
        _sub(postal, "City", address.city)
        if address.subdivision:
            _sub(postal, "State", address.subdivision)
        if address.postal_code:
            _sub(postal, "PostalCode", address.postal_code)
        _sub(postal, "Country", address.country, isoCountryCode=address.country)
    if party.email:
        _sub(contact, "Email", party.email)
    if party.vat_id:
        _sub(parent[-1], "IdReference", identifier=party.vat_id, domain="vatID")


def _tax(parent: Any, doc: EDocument, amount: Decimal, taxable: Decimal, percent: Decimal, code: str,
         sign: int) -> None:
    tax = _money(parent, "Tax", doc, sign * amount)
    _described(tax, "Description", f"{plain(percent)}% VAT" if code == "S" else f"VAT category {code}")
    detail = _sub(tax, "TaxDetail", purpose="tax", category="vat", percentageRate=plain(percent))
    if code in ("Z", "E", "AE", "K", "G"):
        detail.set("exemptDetail", "zeroRated" if code == "Z" else "exempt")
    _money(detail, "TaxableAmount", doc, sign * taxable)
    _money(detail, "TaxAmount", doc, sign * amount)


def _tax_summary(parent: Any, doc: EDocument, sign: int) -> None:
    """The document's tax: the total, then one TaxDetail per VAT category and rate."""
    tax = _money(parent, "Tax", doc, sign * doc.tax_total)
    _described(tax, "Description", "Total tax")
    for cat, taxable, amount in doc.breakdown():
        detail = _sub(tax, "TaxDetail", purpose="tax", category="vat", percentageRate=plain(cat.percent))
        if cat.code in ("Z", "E", "AE", "K", "G"):
            detail.set("exemptDetail", "zeroRated" if cat.code == "Z" else "exempt")
        _money(detail, "TaxableAmount", doc, sign * taxable)
        _money(detail, "TaxAmount", doc, sign * amount)
        if cat.exemption_reason:
            _described(detail, "Description", cat.exemption_reason)


def render(doc: EDocument, *, from_identity: str, to_identity: str, sender_identity: str,
           purpose: str = "standard", domain: str = "NetworkID", order_payload_id: str | None = None,
           payload_id: str | None = None, timestamp: datetime | None = None) -> bytes:
    """The cXML document of ``doc``: ``purpose`` is standard for an invoice, ``lineLevelCreditMemo`` or
    ``creditMemo`` for a credit note (which must carry its billing reference)."""
    doc.check()
    if purpose not in ("standard", "creditMemo", "lineLevelCreditMemo"):
        raise ValueError(f"unsupported cXML invoice purpose {purpose}")
    credit = purpose != "standard"
    sign = -1 if credit else 1  # cXML credit memos carry negative quantities and amounts
    stamp = (timestamp or datetime.now(UTC)).isoformat(timespec="seconds")
    root = etree.Element("cXML", payloadID=payload_id or f"{uuid.uuid4()}@o2c", timestamp=stamp,
                         version=CXML_VERSION)
    root.set(XML_LANG, "en-US")
    header = _sub(root, "Header")
    for role, identity in (("From", from_identity), ("To", to_identity), ("Sender", sender_identity)):
        party = _sub(header, role)
        _sub(_sub(party, "Credential", domain=domain), "Identity", identity)
    _sub(party, "UserAgent", "o2c invoicing")
    request = _sub(_sub(root, "Request", deploymentMode="production"), "InvoiceDetailRequest")
    head = _sub(request, "InvoiceDetailRequestHeader", invoiceID=doc.number, purpose=purpose, operation="new",
                invoiceDate=_date(doc.issue_date))
    indicator = _sub(head, "InvoiceDetailHeaderIndicator")
    if purpose == "creditMemo":
        indicator.set("isHeaderInvoice", "yes")
    _sub(head, "InvoiceDetailLineIndicator", isTaxInLine="yes")
    _contact(head, "remitTo", doc.seller, doc.seller.endpoint.value if doc.seller.endpoint else None)
    _contact(head, "billTo", doc.buyer, doc.buyer_account)
    if credit:
        assert doc.billing_reference is not None
        info = _sub(head, "InvoiceIDInfo", invoiceID=doc.billing_reference.number)
        if doc.billing_reference.issue_date is not None:
            info.set("invoiceDate", _date(doc.billing_reference.issue_date))
    if doc.due_date is not None and not credit:
        _sub(head, "PaymentTerm", payInNumberOfDays=str(max((doc.due_date - doc.issue_date).days, 0)))
    if doc.period is not None:
        _sub(head, "Period", startDate=_date(doc.period[0]), endDate=_date(doc.period[1]))
    if doc.notes:
        _described(head, "Comments", " ".join(doc.notes))
    order_info_parent = _sub(request, "InvoiceDetailHeaderOrder" if purpose == "creditMemo"
                             else "InvoiceDetailOrder")
    info = _sub(order_info_parent, "InvoiceDetailOrderInfo")
    if doc.order_reference:
        reference = _sub(info, "OrderReference", orderID=doc.order_reference)
        _sub(reference, "DocumentReference", payloadID=order_payload_id or doc.order_reference)
    else:
        _sub(info, "SupplierOrderInfo", orderID=doc.number)
    if purpose == "creditMemo":
        summary = _sub(order_info_parent, "InvoiceDetailOrderSummary", invoiceLineNumber="1")
        _money(summary, "SubtotalAmount", doc, sign * doc.tax_exclusive)
        _tax_summary(summary, doc, sign)
        _money(summary, "GrossAmount", doc, sign * doc.tax_inclusive)
        _money(summary, "NetAmount", doc, sign * doc.tax_inclusive)
    else:
        for line in doc.lines:
            item = _sub(order_info_parent, "InvoiceDetailItem", invoiceLineNumber=line.id,
                        quantity=plain_quantity(sign * line.quantity))
            _sub(item, "UnitOfMeasure", "EA" if line.unit_code == "C62" else line.unit_code)
            _sub(_sub(item, "UnitPrice"), "Money", plain(line.unit_price.normalize() if line.unit_price
                                                         else line.unit_price), currency=doc.currency)
            reference = _sub(item, "InvoiceDetailItemReference", lineNumber=line.po_line
                             if line.po_line and line.po_line.isdigit() else line.id)
            _described(reference, "Description", line.name)
            _money(item, "SubtotalAmount", doc, sign * line.net_amount)
            cat = line.category
            tax = doc.round(line.net_amount * cat.percent / 100)
            _tax(item, doc, tax, line.net_amount, cat.percent, cat.code, sign)
            _money(item, "GrossAmount", doc, sign * (line.net_amount + tax))
            _money(item, "NetAmount", doc, sign * (line.net_amount + tax))
    summary = _sub(request, "InvoiceDetailSummary")
    _money(summary, "SubtotalAmount", doc, sign * doc.line_total)
    _tax_summary(summary, doc, sign)
    _money(summary, "GrossAmount", doc, sign * doc.tax_inclusive)
    allowances, charges = doc.allowance_total, doc.charge_total
    if charges:
        _money(summary, "TotalCharges", doc, sign * charges)
    if allowances:
        _money(summary, "TotalAllowances", doc, sign * allowances)
    _money(summary, "NetAmount", doc, sign * doc.tax_inclusive)
    if doc.prepaid_amount:
        _money(summary, "DepositAmount", doc, sign * doc.prepaid_amount)
    _money(summary, "DueAmount", doc, sign * doc.payable)
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{CXML_DOCTYPE}\n{body}'.encode()
