"""The e-invoice as the standards see it, independent of the storage model: seller, buyer, lines with their
VAT category, document-level allowances and charges, prepaid amount, the invoice a credit note corrects.
The UBL and cXML builders render this; ``documents.py`` maps stored invoices and credit notes into it.

Totals follow EN16931: line net sum (BT-106), minus allowances (BT-107) plus charges (BT-108) is the tax
exclusive amount (BT-109); the VAT breakdown (BG-23) groups lines, allowances and charges by category and
rate; payable (BT-115) = tax inclusive (BT-112) - prepaid (BT-113). Amounts are written as plain decimal
strings (never exponent notation) with the currency's minor unit, at most two decimals (BR-DEC)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from o2c_common.money import minor_units
from o2c_invoicing.legal_entities import Endpoint, LegalEntity, PostalAddress

# UNTDID 5305 VAT category codes as EN16931 uses them, and what each requires.
CATEGORIES = {
    "S": "Standard rate",
    "Z": "Zero rated goods",
    "E": "Exempt from tax",
    "AE": "VAT reverse charge",
    "K": "VAT exempt for EEA intra-community supply of goods and services",
    "G": "Free export item, VAT not charged",
    "O": "Services outside scope of tax",
    "L": "Canary Islands general indirect tax",
    "M": "Tax for production, services and importation in Ceuta and Melilla",
}
ZERO_RATE_CATEGORIES = frozenset({"Z", "E", "AE", "K", "G", "O"})
NEEDS_EXEMPTION_REASON = frozenset({"E", "AE", "K", "G", "O"})
# The VATEX code each category carries unless a more precise one is configured (CEF VATEX code list).
DEFAULT_VATEX = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G", "O": "VATEX-EU-O"}
DEFAULT_REASON_TEXT = {"AE": "Reverse charge", "K": "Intra-community supply", "G": "Export outside the EU",
                       "O": "Not subject to VAT"}


class DocumentError(ValueError):
    """The data cannot make a conforming document; ``pointer`` names the field."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True)
class TaxCategory:
    code: str  # UNTDID 5305: S, Z, E, AE, K, G, O
    percent: Decimal  # 20 for 20 %; 0 for every category but S (and L/M)
    exemption_reason: str | None = None  # BT-120
    exemption_reason_code: str | None = None  # BT-121, VATEX

    @property
    def key(self) -> tuple[str, Decimal]:
        return self.code, self.percent

    def check(self, pointer: str) -> None:
        if self.code not in CATEGORIES:
            raise DocumentError(f"VAT category {self.code} is not in UNTDID 5305 as EN16931 uses it", pointer)
        if self.code == "S" and self.percent <= 0:
            raise DocumentError("standard rated (S) needs a rate above zero", pointer)
        if self.code in ZERO_RATE_CATEGORIES and self.percent != 0:
            raise DocumentError(f"VAT category {self.code} has rate 0, not {self.percent} %", pointer)
        if self.code in NEEDS_EXEMPTION_REASON and not (self.exemption_reason or self.exemption_reason_code):
            raise DocumentError(f"VAT category {self.code} needs an exemption reason (text or VATEX code)", pointer)
        if self.code in ("S", "Z") and (self.exemption_reason or self.exemption_reason_code):
            raise DocumentError(f"VAT category {self.code} carries no exemption reason", pointer)


def category(code: str, percent: Decimal = Decimal(0), *, reason: str | None = None,
             reason_code: str | None = None) -> TaxCategory:
    """A category with the default VATEX code and text for AE, K, G and O when none is given."""
    if code in DEFAULT_VATEX and not reason and not reason_code:
        reason, reason_code = DEFAULT_REASON_TEXT[code], DEFAULT_VATEX[code]
    return TaxCategory(code, percent, reason, reason_code)


@dataclass(frozen=True)
class Party:
    """Buyer (BG-7) or seller (BG-4) as printed on the document."""

    name: str
    address: PostalAddress
    endpoint: Endpoint | None
    vat_id: str | None = None
    legal_registration: str | None = None
    legal_registration_scheme: str | None = None
    legal_form: str | None = None
    tax_registration: str | None = None
    trading_name: str | None = None
    email: str | None = None

    @classmethod
    def seller(cls, entity: LegalEntity) -> Party:
        return cls(name=entity.name, address=entity.address, endpoint=entity.endpoint, vat_id=entity.vat_id,
                   legal_registration=entity.legal_registration,
                   legal_registration_scheme=entity.legal_registration_scheme, legal_form=entity.legal_form,
                   tax_registration=entity.tax_registration, trading_name=entity.trading_name,
                   email=entity.email)


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    category: TaxCategory
    unit_code: str = "C62"  # UN/ECE Rec 20 "one" (unit); EA is also allowed
    po_line: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class AllowanceCharge:
    """Document-level allowance (BG-20) or charge (BG-21). Reason codes: UNCL5189 (allowances, e.g. 95
    discount) and UNCL7161 (charges, e.g. FC freight)."""

    charge: bool
    amount: Decimal
    category: TaxCategory
    reason: str | None = None
    reason_code: str | None = None


@dataclass(frozen=True)
class Reference:
    """The invoice a credit note corrects (BG-3)."""

    number: str
    issue_date: date | None = None


@dataclass(frozen=True)
class PaymentInfo:
    iban: str | None
    bic: str | None = None
    means_code: str = "30"  # UNCL4461: 30 credit transfer, 58 SEPA credit transfer
    remittance: str | None = None  # BT-83


@dataclass
class EDocument:
    kind: str  # "invoice" or "credit_note"
    number: str
    issue_date: date
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line]
    due_date: date | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    prepaid_amount: Decimal = Decimal(0)
    billing_reference: Reference | None = None
    period: tuple[date, date] | None = None
    delivery_date: date | None = None
    delivery_country: str | None = None
    payment: PaymentInfo | None = None
    payment_terms: str | None = None
    notes: list[str] = field(default_factory=list)
    buyer_account: str | None = None  # the customer's id at the seller (cXML billTo addressID)
    # Tax per (category, rate) as booked when the stored invoice rounded per line: used instead of the
    # category-level rounding, within the ±1 unit EN16931 BR-CO-17 allows.
    booked_tax: dict[tuple[str, Decimal], Decimal] | None = None

    # -- totals ---------------------------------------------------------------------------------------------

    @property
    def line_total(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), Decimal(0))

    @property
    def allowance_total(self) -> Decimal:
        return sum((ac.amount for ac in self.allowances_charges if not ac.charge), Decimal(0))

    @property
    def charge_total(self) -> Decimal:
        return sum((ac.amount for ac in self.allowances_charges if ac.charge), Decimal(0))

    @property
    def tax_exclusive(self) -> Decimal:
        return self.line_total - self.allowance_total + self.charge_total

    def breakdown(self) -> list[tuple[TaxCategory, Decimal, Decimal]]:
        """(category, taxable amount, tax amount) per category and rate, in first-seen order."""
        taxable: dict[tuple[str, Decimal], Decimal] = {}
        categories: dict[tuple[str, Decimal], TaxCategory] = {}
        items: Iterable[tuple[TaxCategory, Decimal]] = [
            *((line.category, line.net_amount) for line in self.lines),
            *((ac.category, ac.amount if ac.charge else -ac.amount) for ac in self.allowances_charges)]
        for cat, amount in items:
            categories.setdefault(cat.key, cat)
            taxable[cat.key] = taxable.get(cat.key, Decimal(0)) + amount
        result = []
        for key, base in taxable.items():
            computed = self.round(base * key[1] / 100)
            tax = computed
            if self.booked_tax is not None and key in self.booked_tax:
                tax = self.booked_tax[key]
                if abs(tax - computed) >= 1:
                    raise DocumentError(f"booked tax {tax} of category {key[0]} {key[1]} % differs from "
                                        f"{computed} by a unit or more", "#/tax_amount")
            result.append((categories[key], base, tax))
        return result

    @property
    def tax_total(self) -> Decimal:
        return sum((tax for _, _, tax in self.breakdown()), Decimal(0))

    @property
    def tax_inclusive(self) -> Decimal:
        return self.tax_exclusive + self.tax_total

    @property
    def payable(self) -> Decimal:
        return self.tax_inclusive - self.prepaid_amount

    # -- formatting -----------------------------------------------------------------------------------------

    @property
    def decimals(self) -> int:
        return min(minor_units(self.currency), 2)  # EN16931 BR-DEC: amounts have at most two decimals

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)

    def amount(self, value: Decimal, pointer: str = "#") -> str:
        """An amount in the currency's minor unit; refuses one that would lose value."""
        rounded = self.round(value)
        if rounded != value:
            raise DocumentError(f"{value} {self.currency} has more decimals than the {self.decimals} allowed",
                                pointer)
        return plain(rounded)

    def check(self) -> None:
        """What no renderer can fix: the data a conforming document needs."""
        if not self.lines:
            raise DocumentError("a document needs at least one line", "#/lines")
        codes = set()
        for index, line in enumerate(self.lines):
            line.category.check(f"#/lines/{index}/tax_rate")
            codes.add(line.category.code)
            self.amount(line.net_amount, f"#/lines/{index}/net_amount")
        for index, ac in enumerate(self.allowances_charges):
            ac.category.check(f"#/allowances_charges/{index}")
            codes.add(ac.category.code)
            if ac.amount <= 0:
                raise DocumentError("an allowance or charge amount is positive", f"#/allowances_charges/{index}")
            if not (ac.reason or ac.reason_code):
                raise DocumentError("an allowance or charge needs a reason or reason code",
                                    f"#/allowances_charges/{index}")
        if "O" in codes and len(codes) > 1:
            raise DocumentError("a document with category O (not subject to VAT) has no other category",
                                "#/lines")
        if codes - {"O"} and not (self.seller.vat_id or self.seller.tax_registration):
            raise DocumentError("the seller needs a VAT identifier for categories other than O",
                                "#/legal_entity/vat_id")
        if codes & {"AE", "K"} and not self.buyer.vat_id:
            raise DocumentError("reverse charge (AE) and intra-community supply (K) need the buyer's VAT id",
                                "#/billing_profile/tax_id")
        if ("K" in codes and not (self.delivery_date or self.period)) or ("K" in codes and not self.delivery_country):
            raise DocumentError("intra-community supply (K) needs a delivery date or period and the delivery "
                                "country", "#/service_period_start")
        if self.kind == "credit_note" and self.billing_reference is None:
            raise DocumentError("a credit note names the invoice it corrects", "#/invoice_id")


def check_peppol_addresses(doc: EDocument) -> None:
    """Peppol BIS 3 (PEPPOL-EN16931-R010/R020): both parties have an electronic address. cXML addresses its
    parties by network identities instead, so this is the UBL renderer's check."""
    if doc.buyer.endpoint is None:
        raise DocumentError("the buyer needs an electronic address: a Peppol participant id, or a VAT id "
                            "(US: EIN) to address it by", "#/billing_profile/peppol_participant_id")
    if doc.seller.endpoint is None:
        raise DocumentError("the seller needs a Peppol endpoint", "#/legal_entity/endpoint")


def plain(value: Decimal) -> str:
    """A decimal as a plain string: ``10``, ``0.5``, ``1234.50`` — never ``1E+1``."""
    return format(abs(value) if value == 0 else value, "f")  # no "-0.00" for a negated zero


def plain_quantity(value: Decimal) -> str:
    """A quantity without trailing zeros and without exponent: 10.000000 → 10, 2.500000 → 2.5."""
    return plain(value.normalize()) if value != 0 else "0"
