"""Portal status from the standards' own messages, read and written:

- **Peppol Invoice Response 3** (BIS 63A; a UBL 2.1 ApplicationResponse): ``ResponseCode`` from the
  UNCL4343 subset AB (received), IP (in process), UQ (under query), CA (conditionally accepted), RE
  (rejected), AP (accepted), PD (paid), with ``Status/StatusReasonCode`` from the clarification reason list
  (``listID="OPStatusReason"``: NON REF LEG REC QUA DEL PRI QTY ITM PAY UNR FIN PPD OTH) and the action list
  (``listID="OPStatusAction"``: NOA PIN NIN CNF CNP CNA OTH), each with its ``StatusReason`` text.
- **cXML StatusUpdateRequest** with an ``InvoiceStatus`` (processing, canceled, reconciled, rejected,
  paying, paid; ``PartialAmount``) and the ``Status`` code (200 OK; Coupa's transmission error codes 400,
  401, 403, 406, 409, 412, 417, 475-477, 5xx on a rejection).

Each becomes a :class:`StatusMessage`: the invoice number it is about and the portal status code the
service already knows (AB IP UQ CA RE AP PD PAID), with a reason code that the rejection taxonomy
(``submissions/reasons.py``) classifies. A message that does not follow its standard is refused whole with
a :class:`MessageError` naming the element.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from o2c_invoicing.channels.cxml import CXML_DOCTYPE, CXML_VERSION

AR_NS = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
IR_CUSTOMIZATION = "urn:fdc:peppol.eu:poacc:trns:invoice_response:3"
IR_PROFILE = "urn:fdc:peppol.eu:poacc:bis:invoice_response:3"

RESPONSE_CODES = {"AB": "Message acknowledgement", "IP": "In process", "UQ": "Under query",
                  "CA": "Conditionally accepted", "RE": "Rejected", "AP": "Accepted", "PD": "Paid"}
CLARIFICATION_REASONS = {
    "NON": "No Issue", "REF": "References incorrect", "LEG": "Legal information incorrect",
    "REC": "Receiver unknown", "QUA": "Item quality insufficient", "DEL": "Delivery issues",
    "PRI": "Prices incorrect", "QTY": "Quantity incorrect", "ITM": "Items incorrect",
    "PAY": "Payment terms incorrect", "UNR": "Not recognized", "FIN": "Finance incorrect",
    "PPD": "Partially paid", "OTH": "Other"}
CLARIFICATION_ACTIONS = {
    "NOA": "No action required", "PIN": "Provide information", "NIN": "Issue new invoice",
    "CNF": "Credit fully", "CNP": "Credit partially", "CNA": "Credit the amount", "OTH": "Other"}
# Peppol BIS 63A: which codes may carry reasons / actions (UQ, RE and CA need at least one of them).
NEEDS_CLARIFICATION = frozenset({"UQ", "RE", "CA"})

CXML_INVOICE_STATUS = {"processing": "IP", "canceled": "RE", "reconciled": "AP", "rejected": "RE",
                       "paying": "PD", "paid": "PAID"}
CXML_STATUS_TEXT = {200: "OK", 201: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
                    403: "Forbidden", 406: "Not Acceptable", 409: "Conflict", 412: "Precondition Failed",
                    417: "Expectation Failed", 475: "Signature Required", 476: "Signature Verification Failed",
                    477: "Signature Unacceptable", 500: "Internal Server Error", 503: "Service Unavailable"}


class MessageError(ValueError):
    """The message does not follow its standard; ``element`` names where."""

    def __init__(self, message: str, element: str) -> None:
        super().__init__(f"{element}: {message}")
        self.element = element


@dataclass(frozen=True)
class StatusMessage:
    source: str  # "peppol-invoice-response" or "cxml-status-update"
    invoice_number: str
    status: str  # AB IP UQ CA RE AP PD PAID
    reason_code: str | None = None  # classified by submissions.reasons
    reason_text: str | None = None
    actions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    at: datetime | None = None
    message_id: str | None = None
    document_type: str | None = None  # 380 invoice / 381 credit note (Peppol)
    partial_amount: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(body: bytes) -> StatusMessage:
    """A Peppol Invoice Response or a cXML StatusUpdateRequest."""
    if b"<!ENTITY" in body:
        raise MessageError("entity declarations are not accepted", "document")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise MessageError(f"not well-formed XML: {exc}", "document") from exc
    if root.tag == f"{{{AR_NS}}}ApplicationResponse":
        return _invoice_response(root)
    if root.tag == "cXML":
        return _status_update(root)
    raise MessageError(f"root element {root.tag} is neither a UBL ApplicationResponse nor cXML", "document")


# --- Peppol Invoice Response -------------------------------------------------------------------------------

def _t(element: Any, path: str) -> str | None:
    text = element.findtext(path, namespaces={"cac": CAC, "cbc": CBC})
    return text.strip() if text is not None and text.strip() else None


def _invoice_response(root: Any) -> StatusMessage:
    ns = {"cac": CAC, "cbc": CBC}
    if _t(root, "cbc:CustomizationID") != IR_CUSTOMIZATION:
        raise MessageError(f"CustomizationID is not {IR_CUSTOMIZATION}", "cbc:CustomizationID")
    message_id = _t(root, "cbc:ID")
    if not message_id:
        raise MessageError("missing", "cbc:ID")
    issue_date = _t(root, "cbc:IssueDate")
    responses = root.findall("cac:DocumentResponse", ns)
    if len(responses) != 1:
        raise MessageError(f"an Invoice Response has exactly one, found {len(responses)}", "cac:DocumentResponse")
    response = responses[0]
    code = _t(response, "cac:Response/cbc:ResponseCode")
    if code not in RESPONSE_CODES:
        raise MessageError(f"{code!r} is not in the UNCL4343 subset {sorted(RESPONSE_CODES)}",
                           "cac:DocumentResponse/cac:Response/cbc:ResponseCode")
    number = _t(response, "cac:DocumentReference/cbc:ID")
    if not number:
        raise MessageError("missing (the invoice the response is about)",
                           "cac:DocumentResponse/cac:DocumentReference/cbc:ID")
    reasons: list[tuple[str, str | None]] = []
    actions: list[tuple[str, str | None]] = []
    for index, status in enumerate(response.findall("cac:Response/cac:Status", ns), start=1):
        where = f"cac:DocumentResponse/cac:Response/cac:Status[{index}]/cbc:StatusReasonCode"
        element = status.find("cbc:StatusReasonCode", ns)
        text = _t(status, "cbc:StatusReason")
        if element is None or not (element.text or "").strip():
            if text:
                reasons.append(("OTH", text))
                continue
            raise MessageError("a Status without a reason code or text", where)
        value, list_id = element.text.strip(), element.get("listID")
        if list_id == "OPStatusAction":
            if value not in CLARIFICATION_ACTIONS:
                raise MessageError(f"{value!r} is not an OPStatusAction code", where)
            actions.append((value, text))
        elif list_id in ("OPStatusReason", None):
            if value not in CLARIFICATION_REASONS:
                raise MessageError(f"{value!r} is not an OPStatusReason code", where)
            reasons.append((value, text))
        else:
            raise MessageError(f"listID {list_id!r} is neither OPStatusReason nor OPStatusAction", where)
    if code in NEEDS_CLARIFICATION and not (reasons or actions):
        raise MessageError(f"response code {code} needs a clarification reason or action",
                           "cac:DocumentResponse/cac:Response/cac:Status")
    effective = _t(response, "cac:Response/cbc:EffectiveDate") or issue_date
    at = _datetime(effective, "cbc:IssueDate") if effective else None
    significant = [r for r in reasons if r[0] != "NON"]
    reason_code = significant[0][0] if significant else None
    texts = [f"{c} {CLARIFICATION_REASONS[c]}" + (f": {t}" if t else "") for c, t in reasons]
    texts += [f"action {c} {CLARIFICATION_ACTIONS[c]}" + (f": {t}" if t else "") for c, t in actions]
    return StatusMessage(
        source="peppol-invoice-response", invoice_number=number, status=code, reason_code=reason_code,
        reason_text="; ".join(texts) or None, actions=tuple(c for c, _ in actions),
        reasons=tuple(c for c, _ in reasons), at=at, message_id=message_id,
        document_type=_t(response, "cac:DocumentReference/cbc:DocumentTypeCode"))


def _datetime(text: str, element: str) -> datetime:
    try:
        if "T" in text:
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError as exc:
        raise MessageError(f"{text!r} is not an ISO 8601 date", element) from exc


def invoice_response(*, invoice_number: str, code: str, sender: tuple[str, str, str],
                     receiver: tuple[str, str, str], reasons: list[tuple[str, str | None]] | None = None,
                     actions: list[tuple[str, str | None]] | None = None, document_type: str = "380",
                     issue_date: date | None = None, message_id: str | None = None) -> bytes:
    """A Peppol Invoice Response 3; ``sender``/``receiver`` are (EAS scheme, endpoint id, name)."""
    if code not in RESPONSE_CODES:
        raise ValueError(f"response code {code} is not in the UNCL4343 subset")
    root = etree.Element(f"{{{AR_NS}}}ApplicationResponse", nsmap={None: AR_NS, "cac": CAC, "cbc": CBC})

    def b(parent: Any, tag: str, text: str, **attrib: str) -> Any:
        element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrib)
        element.text = text
        return element

    def c(parent: Any, tag: str) -> Any:
        return etree.SubElement(parent, f"{{{CAC}}}{tag}")

    b(root, "CustomizationID", IR_CUSTOMIZATION)
    b(root, "ProfileID", IR_PROFILE)
    b(root, "ID", message_id or f"IR-{uuid.uuid4().hex[:12]}")
    b(root, "IssueDate", (issue_date or datetime.now(UTC).date()).isoformat())
    for tag, (scheme, endpoint, name) in (("SenderParty", sender), ("ReceiverParty", receiver)):
        party = c(root, tag)
        b(party, "EndpointID", endpoint, schemeID=scheme)
        b(c(party, "PartyLegalEntity"), "RegistrationName", name)
    document = c(root, "DocumentResponse")
    response = c(document, "Response")
    b(response, "ResponseCode", code, listID="UNCL4343OpSubset")
    for list_id, entries in (("OPStatusReason", reasons or []), ("OPStatusAction", actions or [])):
        for value, text in entries:
            status = c(response, "Status")
            b(status, "StatusReasonCode", value, listID=list_id)
            if text:
                b(status, "StatusReason", text)
    reference = c(document, "DocumentReference")
    b(reference, "ID", invoice_number)
    b(reference, "DocumentTypeCode", document_type)
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body


# --- cXML StatusUpdateRequest ------------------------------------------------------------------------------

def _status_update(root: Any) -> StatusMessage:
    request = root.find("Request/StatusUpdateRequest")
    if request is None:
        raise MessageError("a cXML status message is a Request/StatusUpdateRequest", "cXML/Request")
    status = request.find("Status")
    if status is None or not (status.get("code") or "").isdigit():
        raise MessageError("missing or without a numeric @code", "StatusUpdateRequest/Status")
    status_code = int(status.get("code"))
    invoice_status = request.find("InvoiceStatus")
    if invoice_status is None:
        raise MessageError("only invoice status updates are accepted here", "StatusUpdateRequest/InvoiceStatus")
    kind = invoice_status.get("type")
    if kind not in CXML_INVOICE_STATUS:
        raise MessageError(f"@type {kind!r} is not one of {sorted(CXML_INVOICE_STATUS)}",
                           "StatusUpdateRequest/InvoiceStatus/@type")
    id_info = invoice_status.find("InvoiceIDInfo")
    number = id_info.get("invoiceID") if id_info is not None else None
    if not number:
        raise MessageError("InvoiceIDInfo/@invoiceID is required to name the invoice",
                           "StatusUpdateRequest/InvoiceStatus/InvoiceIDInfo")
    partial: Decimal | None = None
    money = invoice_status.findtext("PartialAmount/Money")
    if money is not None:
        try:
            partial = Decimal(money.strip())
        except InvalidOperation as exc:
            raise MessageError(f"{money!r} is not an amount",
                               "StatusUpdateRequest/InvoiceStatus/PartialAmount/Money") from exc
    code = CXML_INVOICE_STATUS[kind]
    comments = " ".join(" ".join("".join(c.itertext()).split()) for c in invoice_status.findall("Comments")) or None
    status_text = " ".join((status.text or "").split()) or None
    extrinsic = {e.get("name"): (e.text or "").strip() for e in request.findall("Extrinsic") if e.get("name")}
    reason_code: str | None = None
    if code == "RE":
        if extrinsic.get("reasonCode"):
            reason_code = extrinsic["reasonCode"]  # the portal's own code, when it sends one
        elif kind == "canceled":
            reason_code = "CXML-CANCELED"
        elif status_code >= 300:
            reason_code = f"CXML-{status_code}"
        else:
            reason_code = "CXML-REJECTED"
    if code == "PAID" and partial is not None:
        code = "PD"  # a partial payment does not settle the invoice: keep it scheduled, say how much
    texts = list(dict.fromkeys(t for t in (status_text if status_code >= 300 else None, comments) if t))
    if partial is not None:
        texts.append(f"partial amount {partial}")
    timestamp = root.get("timestamp")
    return StatusMessage(
        source="cxml-status-update", invoice_number=number, status=code, reason_code=reason_code,
        reason_text="; ".join(texts) or None, at=_datetime(timestamp, "cXML/@timestamp") if timestamp else None,
        message_id=root.get("payloadID"), partial_amount=partial,
        extra={"cxml_status": status_code, "invoice_status": kind})


def status_update(*, invoice_number: str, kind: str, from_identity: str, to_identity: str,
                  status_code: int = 200, comments: str | None = None, reason_code: str | None = None,
                  partial_amount: tuple[Decimal, str] | None = None, payload_id: str | None = None) -> bytes:
    """A cXML StatusUpdateRequest carrying an InvoiceStatus of ``kind``."""
    if kind not in CXML_INVOICE_STATUS:
        raise ValueError(f"invoice status {kind} is not a cXML InvoiceStatus type")
    root = etree.Element("cXML", payloadID=payload_id or f"{uuid.uuid4()}@o2c-portal-simulator",
                         timestamp=datetime.now(UTC).isoformat(timespec="seconds"), version=CXML_VERSION)
    header = etree.SubElement(root, "Header")
    for role, identity in (("From", from_identity), ("To", to_identity), ("Sender", from_identity)):
        party = etree.SubElement(header, role)
        credential = etree.SubElement(party, "Credential", domain="NetworkID")
        etree.SubElement(credential, "Identity").text = identity
    etree.SubElement(party, "UserAgent").text = "o2c portal simulator"
    request = etree.SubElement(etree.SubElement(root, "Request"), "StatusUpdateRequest")
    status = etree.SubElement(request, "Status", code=str(status_code),
                              text=CXML_STATUS_TEXT.get(status_code, "Status"))
    if status_code >= 300 and comments:
        status.text = comments
    invoice_status = etree.SubElement(request, "InvoiceStatus", type=kind)
    etree.SubElement(invoice_status, "InvoiceIDInfo", invoiceID=invoice_number)
    if partial_amount is not None:
        money = etree.SubElement(etree.SubElement(invoice_status, "PartialAmount"), "Money",
                                 currency=partial_amount[1])
        money.text = format(partial_amount[0], "f")
    if comments:
        element = etree.SubElement(invoice_status, "Comments")
        element.text = comments
        element.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    if reason_code:
        etree.SubElement(request, "Extrinsic", name="reasonCode").text = reason_code
    body = etree.tostring(root, encoding="unicode")
    doctype = CXML_DOCTYPE.replace("InvoiceDetail.dtd", "cXML.dtd")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{body}'.encode()


def looks_like_message(body: bytes) -> bool:
    return bool(re.search(rb"<(\w+:)?ApplicationResponse\b|<StatusUpdateRequest\b", body[:4000]))
