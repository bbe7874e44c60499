"""The reason taxonomy: a portal's own code (its reason code, a Peppol Invoice Response clarification reason, a
cXML status code) → normalized reason → root-cause category. The channels classify what a portal answers with it;
submissions and portal statuses classify rejections."""

from __future__ import annotations

import re

TAXONOMY: dict[str, tuple[str, str]] = {
    "PO-MISSING": ("missing_po", "po"),
    "PO-INVALID": ("invalid_po", "po"),
    "PO-CLOSED": ("invalid_po", "po"),
    "TAX-INVALID": ("tax_error", "tax"),
    "TAXID-MISSING": ("tax_error", "master_data"),
    "PRICE-MISMATCH": ("price_mismatch", "pricing"),
    "QTY-MISMATCH": ("price_mismatch", "pricing"),
    "DUP-INVOICE": ("duplicate_invoice_number", "duplicate"),
    "SHIPTO-UNKNOWN": ("unknown_ship_to", "master_data"),
    "ATTACH-MISSING": ("missing_attachment", "master_data"),
    "FORMAT-INVALID": ("format_error", "portal_technical"),
    "TECH-ERROR": ("technical_error", "portal_technical"),
    # Peppol Invoice Response 3 clarification reasons (OPStatusReason).
    "REF": ("invalid_po", "po"),
    "LEG": ("tax_error", "master_data"),
    "REC": ("unknown_ship_to", "master_data"),
    "PRI": ("price_mismatch", "pricing"),
    "QTY": ("price_mismatch", "pricing"),
    "ITM": ("price_mismatch", "pricing"),
    "PAY": ("other", "master_data"),
    "FIN": ("other", "master_data"),
    "UNR": ("format_error", "portal_technical"),
    "QUA": ("other", "other"),
    "DEL": ("other", "other"),
    "PPD": ("other", "other"),
    "OTH": ("other", "other"),
    # cXML status codes on a rejected InvoiceStatus (Coupa's transmission errors among them).
    "CXML-400": ("format_error", "portal_technical"),
    "CXML-401": ("technical_error", "master_data"),
    "CXML-403": ("technical_error", "master_data"),
    "CXML-406": ("other", "other"),
    "CXML-409": ("duplicate_invoice_number", "duplicate"),
    "CXML-412": ("format_error", "portal_technical"),
    "CXML-417": ("format_error", "portal_technical"),
    "CXML-475": ("technical_error", "master_data"),
    "CXML-476": ("technical_error", "master_data"),
    "CXML-477": ("technical_error", "master_data"),
    "CXML-500": ("technical_error", "portal_technical"),
    "CXML-503": ("technical_error", "portal_technical"),
    "CXML-CANCELED": ("other", "other"),
    "CXML-REJECTED": ("other", "other"),
}


def classify(portal_reason_code: str | None) -> tuple[str, str]:
    """(reason, root_cause) for a portal's code; unknown codes are ``other`` (any other cXML 5xx is a
    portal technical error)."""
    code = (portal_reason_code or "").upper()
    if code not in TAXONOMY and re.fullmatch(r"CXML-5\d\d", code):
        return "technical_error", "portal_technical"
    return TAXONOMY.get(code, ("other", "other"))
