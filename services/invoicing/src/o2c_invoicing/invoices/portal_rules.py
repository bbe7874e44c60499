"""The customer's portal rules, every violation at once: checked at approval and at issue (an invoice its portal
would reject is not issued without an audited override) and again before every submission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.profiles.patterns import PatternInvalid, full_match


def violations(invoice: Invoice, profile: BillingProfile | None, *, attachments: int = 0) -> list[dict[str, Any]]:
    """Before submission: a customer without a billing profile is a violation too (no channel to send to)."""
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
    if pattern and invoice.po_number:
        _pattern_rule(add, "po_pattern", pattern, invoice.po_number, f"PO number {invoice.po_number}", "#/po_number")
    if rules.get("po_line_required"):
        for line in invoice.lines:
            if not line.po_line:
                add("po_line_required", f"line {line.position} has no PO line", f"#/lines/{line.position - 1}/po_line")
    if rules.get("tax_id_required") and not profile.tax_id:
        add("tax_id_required", "the portal requires the customer's tax id on the invoice", "#/tax_id")
    max_lines = rules.get("max_lines")
    if max_lines and len(invoice.lines) > max_lines:
        add("max_lines", f"{len(invoice.lines)} lines, the portal accepts at most {max_lines}", "#/lines")
    if rules.get("attachment_required") and attachments == 0:
        add("attachment_required", "the portal requires an attachment; none is stored for this invoice",
            "#/attachments")
    found.extend(number_violations(invoice, profile))
    allowed = rules.get("allowed_currencies")
    if allowed and invoice.currency not in allowed:
        add("allowed_currencies", f"currency {invoice.currency} is not accepted ({', '.join(allowed)})",
            "#/currency")
    if rules.get("service_period_required") and not (invoice.service_period_start and invoice.service_period_end):
        add("service_period_required", "the portal requires the service period", "#/service_period_start")
    if profile.channel == "peppol" and not profile.peppol_participant_id:
        add("peppol_participant_id", "Peppol delivery needs the customer's participant id", "#/peppol_participant_id")
    if profile.channel == "email" and not profile.email and not any(
            c.get("role", "billing") == "billing" for c in profile.contacts or []):
        add("email", "e-mail delivery needs the customer's billing address or a billing contact", "#/email")
    return found


def checked_before_numbering(profile: BillingProfile | None) -> bool:
    """Whether every rule of the customer's portal is decided by the invoice alone before it has its number: none
    on the number's format, none needing rows of their own (attachments)."""
    rules = (profile.rules or {}) if profile is not None else {}
    return not (rules.get("invoice_number_pattern") or rules.get("attachment_required"))


def number_violations(invoice: Invoice, profile: BillingProfile | None) -> list[dict[str, Any]]:
    """The invoice number's format rule alone (none before the invoice has its number)."""
    found: list[dict[str, Any]] = []
    pattern = (profile.rules or {}).get("invoice_number_pattern") if profile is not None else None
    if pattern and invoice.number:
        _pattern_rule(lambda rule, detail, pointer: found.append({"rule": rule, "detail": detail, "pointer": pointer}),
                      "invoice_number_format", pattern, invoice.number, f"invoice number {invoice.number}", "#/number")
    return found


def _pattern_rule(add: Callable[[str, str, str], None], rule: str, pattern: str, value: str, what: str,
                  pointer: str) -> None:
    """A value not matching the profile's pattern (RE2, linear time); a stored pattern RE2 refuses is a violation
    to mend in the billing profile, never a failure of the request."""
    try:
        matches = full_match(pattern, value)
    except PatternInvalid as exc:
        add(rule, f"the billing profile's pattern {pattern} is invalid ({exc}): correct the profile", pointer)
        return
    if not matches:
        add(rule, f"{what} does not match {pattern}", pointer)


def rule_violations(invoice: Invoice, profile: BillingProfile | None, *, attachments: int = 0) -> list[dict[str, Any]]:
    """At approval and issue: the rules of the customer's portal, when the customer has a profile (one without
    a profile is refused at submission, when its channel is needed)."""
    return [] if profile is None else violations(invoice, profile, attachments=attachments)


def summary(found: list[dict[str, Any]]) -> str:
    """One line for a work item: ``po_required: the portal requires a PO number; …``."""
    return "; ".join(f"{v['rule']}: {v['detail']}" for v in found)
