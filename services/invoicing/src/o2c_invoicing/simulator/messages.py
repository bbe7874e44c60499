"""The simulated portal's status as the standards' messages: a Peppol Invoice Response 3 for a UBL document,
a cXML StatusUpdateRequest for a cXML one. The simulator's own reason codes become the standard codes a
real portal would send (Peppol clarification reasons and actions; cXML status codes, with the portal's code
in an Extrinsic as Coupa-style portals do)."""

from __future__ import annotations

from o2c_invoicing.channels.status_messages import invoice_response, status_update
from o2c_invoicing.simulator.portal import TEXTS, Parties

# simulator reason code -> (Peppol OPStatusReason, OPStatusAction)
PEPPOL_REASON = {"PO-MISSING": ("REF", "PIN"), "PO-INVALID": ("REF", "NIN"), "TAX-INVALID": ("LEG", "NIN"),
                 "PRICE-MISMATCH": ("PRI", "CNF"), "SHIPTO-UNKNOWN": ("REC", "NIN"), "DUP-INVOICE": ("OTH", "NOA"),
                 "TECH-ERROR": ("OTH", "OTH"), "FORMAT-INVALID": ("UNR", "NIN")}
# simulator reason code -> cXML status code of the rejected InvoiceStatus
CXML_CODE = {"DUP-INVOICE": 409, "FORMAT-INVALID": 400, "TECH-ERROR": 500}
CXML_KIND = {"AB": "processing", "RE": "rejected", "AP": "reconciled", "PD": "paying", "PAID": "paid"}


def standard_message(document_format: str, *, number: str, status: str, reason_code: str | None,
                     parties: Parties | None) -> bytes | None:
    """The message for one status step, or None when the standard has none for it (Peppol after PD)."""
    text = TEXTS.get(reason_code or "")
    if document_format == "cxml":
        supplier, customer = (parties.seller[1], parties.buyer[1]) if parties else ("supplier", "buyer")
        return status_update(invoice_number=number, kind=CXML_KIND[status], from_identity=customer,
                             to_identity=supplier, status_code=CXML_CODE.get(reason_code or "", 406)
                             if status == "RE" else 200, comments=text, reason_code=reason_code)
    if status == "PAID":
        return None
    seller = parties.seller if parties else ("0088", "0000000000000", "supplier")
    buyer = parties.buyer if parties else ("0088", "0000000000000", "buyer")
    reasons: list[tuple[str, str | None]] = []
    actions: list[tuple[str, str | None]] = []
    if status == "RE" and reason_code:
        reason, action = PEPPOL_REASON.get(reason_code, ("OTH", "OTH"))
        reasons, actions = [(reason, text)], [(action, None)]
    return invoice_response(invoice_number=number, code=status, sender=buyer, receiver=seller, reasons=reasons,
                            actions=actions)
