"""The reason taxonomy: a portal's own code → normalized reason → root-cause category."""

from __future__ import annotations

from o2c_invoicing.submissions.models import SubmissionStatus

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
}

# Portal statuses (Peppol Invoice Response codes; SP and PAID are the simulator's extensions for
# "scheduled for payment" and "paid").
_S = SubmissionStatus
STATUS_BY_CODE = {"AB": _S.PORTAL_RECEIVED, "IP": _S.PORTAL_RECEIVED, "UQ": _S.PORTAL_RECEIVED,
                  "RE": _S.PORTAL_REJECTED, "AP": _S.PORTAL_APPROVED, "CA": _S.PORTAL_APPROVED,
                  "PD": _S.SCHEDULED_FOR_PAYMENT, "SP": _S.SCHEDULED_FOR_PAYMENT, "PAID": _S.PORTAL_PAID}


def classify(portal_reason_code: str | None) -> tuple[str, str]:
    """(reason, root_cause) for a portal's code; unknown codes are ``other``."""
    return TAXONOMY.get((portal_reason_code or "").upper(), ("other", "other"))
