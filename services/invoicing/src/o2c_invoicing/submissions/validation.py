"""Pre-submission validation against the customer's portal rules: every violation at once."""

from __future__ import annotations

import re
from typing import Any

from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.profiles.models import BillingProfile


def violations(invoice: Invoice, profile: BillingProfile | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def add(rule: str, detail: str, pointer: str) -> None:
        found.append({"rule": rule, "detail": detail, "pointer": pointer})

    if profile is None:
        add("billing_profile", f"customer {invoice.customer_id} has no billing profile (channel unknown)",
            "#/customer_id")
        return found
    rules = profile.rules or {}
    if rules.get("po_required") and not invoice.po_number:
        add("po_required", "the portal requires a PO number", "#/po_number")
    pattern = rules.get("po_pattern")
    if pattern and invoice.po_number and not re.fullmatch(pattern, invoice.po_number):
        add("po_pattern", f"PO number {invoice.po_number} does not match {pattern}", "#/po_number")
    if rules.get("po_line_required"):
        for line in invoice.lines:
            if not line.po_line:
                add("po_line_required", f"line {line.position} has no PO line", f"#/lines/{line.position - 1}/po_line")
    if rules.get("tax_id_required") and not profile.tax_id:
        add("tax_id_required", "the portal requires the customer's tax id on the invoice", "#/tax_id")
    max_lines = rules.get("max_lines")
    if max_lines and len(invoice.lines) > max_lines:
        add("max_lines", f"{len(invoice.lines)} lines, the portal accepts at most {max_lines}", "#/lines")
    if rules.get("attachment_required"):
        add("attachment_required", "the portal requires an attachment; none is stored for this invoice",
            "#/attachments")
    number_pattern = rules.get("invoice_number_pattern")
    if number_pattern and invoice.number and not re.fullmatch(number_pattern, invoice.number):
        add("invoice_number_format", f"invoice number {invoice.number} does not match {number_pattern}", "#/number")
    allowed = rules.get("allowed_currencies")
    if allowed and invoice.currency not in allowed:
        add("allowed_currencies", f"currency {invoice.currency} is not accepted ({', '.join(allowed)})",
            "#/currency")
    if rules.get("service_period_required") and not (invoice.service_period_start and invoice.service_period_end):
        add("service_period_required", "the portal requires the service period", "#/service_period_start")
    if profile.channel == "peppol" and not profile.peppol_participant_id:
        add("peppol_participant_id", "Peppol delivery needs the customer's participant id", "#/peppol_participant_id")
    if profile.channel == "email" and not profile.email:
        add("email", "e-mail delivery needs the customer's billing address", "#/email")
    return found
