"""The PDF invoice / credit note, read back with pypdf (an independent reader): the content an invoice must
carry (VAT Directive art. 226) is there, from the same data and with the same totals as the UBL."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from o2c_invoicing.channels import pdf
from o2c_invoicing.channels.documents import credit_note_document, invoice_document
from o2c_invoicing.channels.einvoice import AllowanceCharge, DocumentError, category
from o2c_invoicing.creditnotes.models import CreditNote
from services.invoicing.tests.unit.test_einvoice_conformance import SCENARIOS, _edoc


def text_of(document: bytes) -> str:
    assert document.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_invoice_pdf_carries_the_legally_required_content() -> None:
    invoice, profile = SCENARIOS["K intra-community supply"]()
    doc = invoice_document(invoice, profile)
    text = _flat(text_of(pdf.render(doc)))
    for required in (
            "INVOICE", "Number: DE01-2026-000042", "Issue date: 2026-11-02", "Due date: 2026-12-02",
            "o2c Demo GmbH", "Musterstraße 1", "10115 Berlin", "VAT ID: DE123456789", "Registration: HRB 123456",
            "Van den Berg Logistiek B.V.", "Damrak 70", "1012 LM Amsterdam", "VAT ID: NL987654321B01",
            "Service period: 2026-10-01 to 2026-10-31", "Pallet racks", "12", "210.5",
            "VAT exemption - category K: Intra-community supply (VATEX-EU-IC)",
            f"Amount due {doc.amount(doc.payable)} EUR", "Currency: EUR",
            "IBAN DE89370400440532013000", "Purchase order: PO-4711", "Net 30 days"):
        assert required in text, required


def test_totals_on_the_pdf_are_the_documents() -> None:
    invoice, profile = SCENARIOS["S and Z mixed, USD, US seller"]()
    doc = invoice_document(invoice, profile)
    text = _flat(text_of(pdf.render(doc)))
    assert f"Total without VAT {doc.amount(doc.tax_exclusive)} USD" in text
    assert f"VAT {doc.amount(doc.tax_total)} USD" in text
    assert f"Total with VAT {doc.amount(doc.tax_inclusive)} USD" in text
    assert "S Standard rate 10% 100.01 10.00" in text and "Z Zero rated goods 0% 20.00 0.00" in text


def test_reverse_charge_is_stated() -> None:
    invoice, profile = SCENARIOS["AE reverse charge"]()
    assert "Reverse charge - category AE: Reverse charge (VATEX-EU-AE)" in _flat(text_of(pdf.render(
        invoice_document(invoice, profile))))


def test_prepaid_jpy_and_allowances() -> None:
    invoice, profile = SCENARIOS["partly credited and partly prepaid"]()
    text = _flat(text_of(pdf.render(invoice_document(invoice, profile))))
    assert "Paid in advance -500.00 EUR" in text and "Amount due 690.00 EUR" in text
    assert "Credited by credit notes so far: 119 EUR" in text
    doc = _edoc("JPY", allowances=[AllowanceCharge(False, Decimal(25), category("S", Decimal(19)), "Volume", "95"),
                                   AllowanceCharge(True, Decimal(40), category("S", Decimal(19)), "Freight", "FC")])
    text = _flat(text_of(pdf.render(doc)))
    assert "Allowance Volume S 19% -25" in text and "Charge Freight S 19% 40" in text
    assert "Total without VAT 575 JPY" in text


def test_credit_note_pdf_names_the_invoice_it_corrects() -> None:
    invoice, profile = SCENARIOS["S 19 %, EUR, quantity 10 (no exponent)"]()
    credit = CreditNote(id=uuid.uuid4(), invoice_id=invoice.id, number="DE01-CN-2026-000003", legal_entity="DE01",
                        currency="EUR", amount=Decimal("119.00"), tax_amount=Decimal("19.00"), full=False,
                        reason="pricing", note="Goodwill", issue_date=date(2026, 11, 20))
    text = _flat(text_of(pdf.render(credit_note_document(credit, invoice, profile))))
    assert "CREDIT NOTE" in text and "Number: DE01-CN-2026-000003" in text
    assert "Corrects invoice DE01-2026-000042 of 2026-11-02" in text
    assert "Amount to be credited 119.00 EUR" in text and "Reason: pricing - Goodwill" in text


def test_non_latin_names_with_the_unicode_font_and_without(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    invoice, profile = SCENARIOS["GBP, non-ASCII names"]()
    doc = invoice_document(invoice, profile)
    if any(p.exists() for p in pdf.FONT_CANDIDATES):  # DejaVu Sans (fonts-dejavu-core)
        assert "Søren Ærøskøbing & Müller Ltd" in text_of(pdf.render(doc))
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", ())
    core = text_of(pdf.render(doc, font=tmp_path / "missing.ttf"))  # Helvetica: Latin-1 only
    assert "Søren Ærøskøbing & Müller Ltd ????" in core


def test_the_pdf_refuses_what_the_ubl_refuses() -> None:
    invoice, profile = SCENARIOS["AE reverse charge"]()
    with pytest.raises(DocumentError):
        pdf.render(invoice_document(invoice, profile.__class__(**{
            **{k: getattr(profile, k) for k in ("customer_id", "name", "legal_entity", "currency", "channel",
                                                "peppol_participant_id", "rules", "email", "address",
                                                "e_invoicing")}, "tax_id": None})))
