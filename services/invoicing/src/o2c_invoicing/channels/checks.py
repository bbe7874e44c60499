"""Structural checks of the documents (no XSD validator is installed: explicit checks of what the standards
make mandatory, in order). Each returns the list of problems; empty means the document is well-formed and
has the required structure. The simulator uses them too, as a portal's intake would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

from o2c_invoicing.channels.documents import CAC, CBC, PEPPOL_CUSTOMIZATION, UBL_NS

UBL_ORDER = ["CustomizationID", "ProfileID", "ID", "IssueDate", "DueDate", "InvoiceTypeCode",
             "DocumentCurrencyCode", "BuyerReference", "InvoicePeriod", "OrderReference",
             "AccountingSupplierParty", "AccountingCustomerParty", "TaxTotal", "LegalMonetaryTotal", "InvoiceLine"]
UBL_REQUIRED = ["CustomizationID", "ProfileID", "ID", "IssueDate", "InvoiceTypeCode", "DocumentCurrencyCode",
                "AccountingSupplierParty", "AccountingCustomerParty", "TaxTotal", "LegalMonetaryTotal",
                "InvoiceLine"]


def _parse(document: bytes) -> tuple[ET.Element | None, list[str]]:
    if b"<!ENTITY" in document:  # entity expansion attacks: no invoice document needs entities
        return None, ["entity declarations are not accepted"]
    try:
        return ET.fromstring(document), []  # noqa: S314 - entities refused above
    except ET.ParseError as exc:
        return None, [f"not well-formed XML: {exc}"]


def check_ubl(document: bytes) -> list[str]:
    root, problems = _parse(document)
    if root is None:
        return problems
    if root.tag != f"{{{UBL_NS}}}Invoice":
        return [f"root element is {root.tag}, expected the UBL 2.1 Invoice"]
    local = [child.tag.split("}")[1] for child in root]
    problems += [f"missing cbc/cac:{name}" for name in UBL_REQUIRED if name not in local]
    positions = [UBL_ORDER.index(name) for name in local if name in UBL_ORDER]
    if positions != sorted(positions):
        problems.append("elements are not in the order of the UBL 2.1 Invoice schema")
    if root.findtext(f"{{{CBC}}}CustomizationID") != PEPPOL_CUSTOMIZATION:
        problems.append("CustomizationID is not Peppol BIS Billing 3.0")
    currency = root.findtext(f"{{{CBC}}}DocumentCurrencyCode")
    for element in root.iter():
        if element.get("currencyID") not in (None, currency):
            problems.append(f"{element.tag} has currencyID {element.get('currencyID')} ≠ {currency}")
    totals = root.find(f"{{{CAC}}}LegalMonetaryTotal")
    lines = root.findall(f"{{{CAC}}}InvoiceLine")
    if totals is not None and lines:
        line_sum = sum((_dec(line.findtext(f"{{{CBC}}}LineExtensionAmount")) for line in lines), Decimal(0))
        if line_sum != _dec(totals.findtext(f"{{{CBC}}}LineExtensionAmount")):
            problems.append("BR-CO-10: sum of line amounts ≠ LineExtensionAmount")
        tax = _dec(root.findtext(f"{{{CAC}}}TaxTotal/{{{CBC}}}TaxAmount"))
        if _dec(totals.findtext(f"{{{CBC}}}TaxExclusiveAmount")) + tax != _dec(
                totals.findtext(f"{{{CBC}}}TaxInclusiveAmount")):
            problems.append("BR-CO-15: TaxInclusiveAmount ≠ TaxExclusiveAmount + tax")
    for line in lines:
        for name in ("ID", "InvoicedQuantity", "LineExtensionAmount"):
            if line.find(f"{{{CBC}}}{name}") is None:
                problems.append(f"an InvoiceLine lacks cbc:{name}")
        if line.find(f"{{{CAC}}}Item/{{{CBC}}}Name") is None or line.find(f"{{{CAC}}}Price") is None:
            problems.append("an InvoiceLine lacks cac:Item/cbc:Name or cac:Price")
    return problems


def check_cxml(document: bytes) -> list[str]:
    root, problems = _parse(document)
    if root is None:
        return problems
    if b"<!DOCTYPE cXML" not in document[:300]:
        problems.append("missing the cXML DOCTYPE")
    if root.tag != "cXML" or not root.get("payloadID") or not root.get("timestamp"):
        return [*problems, "root must be cXML with payloadID and timestamp"]
    for path in ("Header/From/Credential/Identity", "Header/To/Credential/Identity",
                 "Header/Sender/Credential/Identity", "Request/InvoiceDetailRequest/InvoiceDetailRequestHeader",
                 "Request/InvoiceDetailRequest/InvoiceDetailSummary/SubtotalAmount/Money",
                 "Request/InvoiceDetailRequest/InvoiceDetailSummary/GrossAmount/Money",
                 "Request/InvoiceDetailRequest/InvoiceDetailSummary/NetAmount/Money"):
        if root.find(path) is None:
            problems.append(f"missing {path}")
    header = root.find("Request/InvoiceDetailRequest/InvoiceDetailRequestHeader")
    if header is not None:
        for attr in ("invoiceID", "purpose", "operation", "invoiceDate"):
            if not header.get(attr):
                problems.append(f"InvoiceDetailRequestHeader lacks @{attr}")
    items = root.findall("Request/InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem")
    if not items:
        problems.append("no InvoiceDetailItem")
    for item in items:
        if not item.get("invoiceLineNumber") or not item.get("quantity") or item.find("UnitPrice/Money") is None:
            problems.append("an InvoiceDetailItem lacks @invoiceLineNumber, @quantity or UnitPrice/Money")
    return problems


def _dec(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal("NaN")
