"""The reason taxonomy: a portal's own code → normalized reason → root-cause category."""

from __future__ import annotations

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
STATUS_BY_CODE = {"AB": "portal_received", "IP": "portal_received", "UQ": "portal_received",
                  "RE": "portal_rejected", "AP": "portal_approved", "CA": "portal_approved",
                  "PD": "scheduled_for_payment", "SP": "scheduled_for_payment", "PAID": "portal_paid"}


def classify(portal_reason_code: str | None) -> tuple[str, str]:
    """(reason, root_cause) for a portal's code; unknown codes are ``other``."""
    return TAXONOMY.get((portal_reason_code or "").upper(), ("other", "other"))
