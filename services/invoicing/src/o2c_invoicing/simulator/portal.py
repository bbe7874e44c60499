"""What the simulated portal reads from a document and how it decides: deterministic rules first (the
ones real AP portals apply), then a seeded random rejection rate."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from o2c_invoicing.channels.documents import CAC, CBC, UBL_NS
from o2c_invoicing.channels.ubl import CREDIT_NOTE_NS

RANDOM_CODES = ("PRICE-MISMATCH", "PO-INVALID", "TAX-INVALID", "SHIPTO-UNKNOWN", "TECH-ERROR")
TEXTS = {
    "PO-MISSING": "No purchase order number on the invoice",
    "PO-INVALID": "The purchase order number is unknown or closed",
    "TAX-INVALID": "Tax amounts do not match the lines' taxable amounts and rates",
    "PRICE-MISMATCH": "Unit price differs from the purchase order price",
    "DUP-INVOICE": "An invoice with this number was already accepted",
    "SHIPTO-UNKNOWN": "Bill-to / ship-to address is not registered for this supplier",
    "TECH-ERROR": "Temporary processing error, please resubmit",
    "FORMAT-INVALID": "The document could not be read",
}


@dataclass(frozen=True)
class Line:
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    tax: Decimal | None
    rate: Decimal | None


@dataclass(frozen=True)
class Parties:
    """Who the document is from and to, for the status messages' addressing: (EAS scheme, endpoint,
    name) for UBL, network identities for cXML."""

    seller: tuple[str, str, str]
    buyer: tuple[str, str, str]


@dataclass(frozen=True)
class Document:
    format: str
    number: str
    po_number: str | None
    ship_to: str | None
    lines: tuple[Line, ...]
    tax_total: Decimal
    parties: Parties | None = None
    kind: str = "invoice"  # or "credit_note" (UBL CreditNote, cXML creditMemo / lineLevelCreditMemo)


@dataclass
class PortalRules:
    """Deterministic behaviour: the PO pattern, closed POs, catalogue prices per PO, known ship-to
    addresses (empty = any), then ``rejection_rate`` random rejections drawn from ``seed``."""

    po_pattern: str = r"PO-\d+"
    closed_pos: frozenset[str] = frozenset()
    po_prices: dict[str, Decimal] = field(default_factory=dict)
    known_ship_to: frozenset[str] = frozenset()
    rejection_rate: float = 0.0
    seed: int = 0


class UnreadableDocument(ValueError):
    pass


def _dec(text: str | None) -> Decimal:
    try:
        return Decimal((text or "").strip())
    except InvalidOperation as exc:
        raise UnreadableDocument(f"not a number: {text!r}") from exc


def parse(body: bytes) -> Document:
    if b"<!ENTITY" in body:
        raise UnreadableDocument("entity declarations are refused")
    try:
        root = ET.fromstring(body)  # noqa: S314 - entity declarations refused above
    except ET.ParseError as exc:
        raise UnreadableDocument(str(exc)) from exc
    if root.tag == "cXML":
        return _cxml(root)
    if root.tag in (f"{{{UBL_NS}}}Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote"):
        return _ubl(root)
    raise UnreadableDocument(f"unknown document {root.tag}")


def _cxml(root: ET.Element) -> Document:
    header = root.find("Request/InvoiceDetailRequest/InvoiceDetailRequestHeader")
    if header is None or not header.get("invoiceID"):
        raise UnreadableDocument("no InvoiceDetailRequestHeader/@invoiceID")
    order = root.find("Request/InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailOrderInfo/OrderReference")
    bill_to = header.find("InvoicePartner/Contact[@role='billTo']")
    lines = []
    for item in root.iterfind("Request/InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem"):
        detail = item.find("Tax/TaxDetail")
        percent = detail.get("percentageRate") if detail is not None else None
        match = re.match(r"([\d.]+)%", item.findtext("Tax/Description") or "")
        rate = _dec(percent) / 100 if percent else (Decimal(match.group(1)) / 100 if match else None)
        lines.append(Line(quantity=_dec(item.get("quantity")), unit_price=_dec(item.findtext("UnitPrice/Money")),
                          net=_dec(item.findtext("SubtotalAmount/Money")), tax=_dec(item.findtext("Tax/Money")),
                          rate=rate))
    tax_total = _dec(root.findtext("Request/InvoiceDetailRequest/InvoiceDetailSummary/Tax/Money"))
    sender = root.findtext("Header/From/Credential/Identity") or ""
    receiver = root.findtext("Header/To/Credential/Identity") or ""
    return Document(format="cxml", number=str(header.get("invoiceID")),
                    po_number=(order.get("orderID") or None) if order is not None else None,
                    ship_to=bill_to.get("addressID") if bill_to is not None else None,
                    lines=tuple(lines), tax_total=tax_total,
                    parties=Parties(seller=("NetworkID", sender, sender), buyer=("NetworkID", receiver, receiver)),
                    kind="credit_note" if "creditmemo" in (header.get("purpose") or "").lower() else "invoice")


def _ubl(root: ET.Element) -> Document:
    def c(path: str) -> str:
        return "/".join(f"{{{CBC if part.startswith('cbc:') else CAC}}}{part[4:]}" for part in path.split("/"))

    lines = []
    for line in [*root.iterfind(c("cac:InvoiceLine")), *root.iterfind(c("cac:CreditNoteLine"))]:
        percent = line.findtext(c("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"))
        lines.append(Line(quantity=_dec(line.findtext(c("cbc:InvoicedQuantity"))
                                        or line.findtext(c("cbc:CreditedQuantity"))),
                          unit_price=_dec(line.findtext(c("cac:Price/cbc:PriceAmount"))),
                          net=_dec(line.findtext(c("cbc:LineExtensionAmount"))), tax=None,
                          rate=_dec(percent) / 100 if percent else None))
    number = root.findtext(c("cbc:ID"))
    if not number:
        raise UnreadableDocument("no cbc:ID")
    def party(role: str) -> tuple[str, str, str]:
        endpoint = root.find(c(f"cac:{role}/cac:Party/cbc:EndpointID"))
        name = root.findtext(c(f"cac:{role}/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")) or "-"
        if endpoint is None:
            return "0088", "0000000000000", name
        return endpoint.get("schemeID") or "0088", endpoint.text or "", name

    return Document(format="ubl", number=number, po_number=root.findtext(c("cac:OrderReference/cbc:ID")),
                    ship_to=root.findtext(c("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID")),
                    lines=tuple(lines), tax_total=_dec(root.findtext(c("cac:TaxTotal/cbc:TaxAmount"))),
                    parties=Parties(seller=party("AccountingSupplierParty"), buyer=party("AccountingCustomerParty")),
                    kind="credit_note" if root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote" else "invoice")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Decider:
    """Decides a document's fate: ``None`` (approve) or a portal reason code."""

    def __init__(self, rules: PortalRules) -> None:
        self.rules = rules
        self.random = random.Random(rules.seed)  # noqa: S311 - a seeded simulation, not crypto
        self.accepted_numbers: set[str] = set()

    def decide(self, doc: Document) -> str | None:
        code = self._deterministic(doc)
        if code is None and self.rules.rejection_rate and self.random.random() < self.rules.rejection_rate:
            code = self.random.choice(RANDOM_CODES)
        if code is None:
            self.accepted_numbers.add(doc.number)
        return code

    def _deterministic(self, doc: Document) -> str | None:
        rules = self.rules
        if not doc.po_number:
            return "PO-MISSING"
        if not re.fullmatch(rules.po_pattern, doc.po_number) or doc.po_number in rules.closed_pos:
            return "PO-INVALID"
        if doc.number in self.accepted_numbers:
            return "DUP-INVOICE"
        if rules.known_ship_to and doc.ship_to not in rules.known_ship_to:
            return "SHIPTO-UNKNOWN"
        price = rules.po_prices.get(doc.po_number)
        if price is not None and any(line.unit_price != price for line in doc.lines):
            return "PRICE-MISMATCH"
        expected_tax = Decimal(0)
        for line in doc.lines:
            if line.rate is None or line.rate < 0 or line.rate > Decimal("0.5"):
                return "TAX-INVALID"
            line_tax = _cents(line.net * line.rate)
            if line.tax is not None and line.tax != line_tax:
                return "TAX-INVALID"
            expected_tax += line_tax
        if abs(expected_tax - doc.tax_total) > Decimal("0.01") * max(len(doc.lines), 1):
            return "TAX-INVALID"
        return None
