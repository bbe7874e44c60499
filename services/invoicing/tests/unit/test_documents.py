"""Each adapter's document: well-formed and with the structure its standard requires; validation rules."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from o2c_invoicing.channels.checks import check_cxml, check_ubl
from o2c_invoicing.channels.documents import CBC, cxml_invoice, ubl_invoice
from o2c_invoicing.invoices.models import Invoice, InvoiceLine
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.submissions.reasons import classify
from o2c_invoicing.submissions.validation import violations


def invoice(**overrides: object) -> Invoice:
    lines = [InvoiceLine(position=1, description="Widgets", quantity=Decimal(3), unit_price=Decimal("33.335"),
                         tax_rate=Decimal("0.10"), net_amount=Decimal("100.01"), tax_amount=Decimal("10.00"),
                         po_line="10"),
             InvoiceLine(position=2, description="Freight", quantity=Decimal(1), unit_price=Decimal(20),
                         tax_rate=Decimal(0), net_amount=Decimal(20), tax_amount=Decimal(0), po_line=None)]
    values: dict[str, object] = dict(
        id=uuid.uuid4(), number="US01-2026-000042", legal_entity="US01", customer_id="CUST-1", currency="USD",
        net_amount=Decimal("120.01"), tax_amount=Decimal("10.00"), total_amount=Decimal("130.01"),
        credited_amount=Decimal(0), paid_amount=Decimal(0), issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2), po_number="PO-4711", service_period_start=date(2026, 10, 1),
        service_period_end=date(2026, 10, 31), lines=lines)
    values.update(overrides)
    return Invoice(**values)


def profile(**overrides: object) -> BillingProfile:
    values: dict[str, object] = dict(customer_id="CUST-1", name="Acme Corp", legal_entity="US01", currency="USD",
                                     channel="peppol", portal_account="acme-7781", tax_id="US123456789",
                                     peppol_participant_id="0088:5790000435968", rules={}, email=None)
    values.update(overrides)
    return BillingProfile(**values)


def test_ubl_document_has_the_peppol_bis_structure_and_consistent_totals() -> None:
    document = ubl_invoice(invoice(), profile())
    assert check_ubl(document) == []
    root = ET.fromstring(document)
    assert root.findtext(f"{{{CBC}}}ID") == "US01-2026-000042"
    assert root.findtext(f"{{{CBC}}}InvoiceTypeCode") == "380"


def test_ubl_check_runs_the_real_validators_on_missing_elements_and_bad_totals() -> None:
    good = ubl_invoice(invoice(), profile()).decode()
    assert any("IssueDate" in p for p in check_ubl(good.replace("<cbc:IssueDate>2026-11-02</cbc:IssueDate>", "")
                                                   .encode()))
    broken_total = good.replace('<cbc:TaxInclusiveAmount currencyID="USD">130.01',
                                '<cbc:TaxInclusiveAmount currencyID="USD">131.01')
    assert any("BR-CO-15" in p for p in check_ubl(broken_total.encode()))
    assert check_ubl(b"<Invoice><unclosed></Invoice>")[0].startswith("xml: not well-formed")


def test_cxml_invoice_detail_request_has_the_required_structure() -> None:
    document = cxml_invoice(invoice(), profile(channel="coupa"))
    assert check_cxml(document) == []
    root = ET.fromstring(document)
    header = root.find("Request/InvoiceDetailRequest/InvoiceDetailRequestHeader")
    assert header is not None and header.get("invoiceID") == "US01-2026-000042"
    assert root.findtext("Request/InvoiceDetailRequest/InvoiceDetailSummary/GrossAmount/Money") == "130.01"
    assert len(root.findall("Request/InvoiceDetailRequest/InvoiceDetailOrder/InvoiceDetailItem")) == 2
    stripped = document.replace(b"<InvoiceDetailSummary>", b"<Other>").replace(b"</InvoiceDetailSummary>", b"</Other>")
    assert any("Other" in p for p in check_cxml(stripped))


def test_validation_returns_every_violation_at_once() -> None:
    rules = {"po_required": True, "po_line_required": True, "max_lines": 1, "allowed_currencies": ["EUR"],
             "attachment_required": True, "invoice_number_pattern": r"INV-\d+"}
    found = violations(invoice(po_number=None), profile(rules=rules, tax_id=None))
    assert {v["rule"] for v in found} == {"po_required", "po_line_required", "max_lines", "allowed_currencies",
                                          "attachment_required", "invoice_number_format"}
    assert violations(invoice(), profile()) == []
    assert [v["rule"] for v in violations(invoice(), None)] == ["billing_profile"]


def test_reason_taxonomy_maps_portal_codes_to_reason_and_root_cause() -> None:
    assert classify("PO-MISSING") == ("missing_po", "po")
    assert classify("dup-invoice") == ("duplicate_invoice_number", "duplicate")
    assert classify("SHIPTO-UNKNOWN") == ("unknown_ship_to", "master_data")
    assert classify("WHATEVER") == ("other", "other")
