"""The human-readable invoice / credit note (PDF, fpdf2) rendered from the same
:class:`~o2c_invoicing.channels.einvoice.EDocument` as the UBL, with the content an invoice must carry
(EU VAT Directive 2006/112/EC art. 226, which EN16931 follows): issue date and sequential number; seller's
and buyer's full name and address; seller's VAT identifier (and the buyer's where reverse charge or an
intra-community supply applies); the seller's legal registration; quantity and nature of each item; the
date of supply or service period; unit price, discounts and charges; the taxable amount, rate and tax per
VAT category, with the exemption reason or "Reverse charge" where no VAT is charged; the total and amount
due in the document's currency; payment terms and account. A credit note names the invoice it corrects.

Text is set in DejaVu Sans (Unicode) when the font is found (``/usr/share/fonts/truetype/dejavu`` or
``INVOICING_PDF_FONT``); otherwise in the PDF core font Helvetica, whose Latin-1 cannot show every name
(characters outside it are replaced, the UBL keeps them exact)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from o2c_invoicing.channels.einvoice import CATEGORIES, EDocument, Party, plain, plain_quantity

FONT_CANDIDATES = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                   Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))


def _font(pdf: FPDF, font: Path | None) -> tuple[str, bool]:
    path = font if font is not None and font.exists() else next((p for p in FONT_CANDIDATES if p.exists()), None)
    if path is None:
        return "helvetica", False
    bold = path.with_name(path.stem + "-Bold" + path.suffix)
    pdf.add_font("body", "", str(path))
    pdf.add_font("body", "B", str(bold if bold.exists() else path))
    return "body", True


class _Writer:
    def __init__(self, doc: EDocument, font: Path | None) -> None:
        self.doc = doc
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.family, self.unicode = _font(self.pdf, font)
        self.pdf.add_page()
        credit = doc.kind == "credit_note"
        self.pdf.set_title(f"{'Credit note' if credit else 'Invoice'} {doc.number}")
        self.pdf.set_author(doc.seller.name)
        self.pdf.set_creator("o2c invoicing")

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def line(self, value: str, *, size: float = 9, bold: bool = False, height: float = 4.6) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, self.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def money(self, value: Decimal) -> str:
        return f"{self.doc.amount(value)} {self.doc.currency}"

    def party(self, title: str, party: Party) -> list[str]:
        a = party.address
        lines = [title, party.name]
        if party.trading_name:
            lines.append(party.trading_name)
        lines += [x for x in (a.street, a.additional_street) if x]
        lines.append(" ".join(x for x in (a.postal_code, a.city, a.subdivision) if x) or "")
        lines.append(f"Country: {a.country}")
        if party.vat_id:
            lines.append(f"VAT ID: {party.vat_id}")
        if party.tax_registration:
            lines.append(f"Tax registration: {party.tax_registration}")
        if party.legal_registration:
            scheme = f" (ICD {party.legal_registration_scheme})" if party.legal_registration_scheme else ""
            lines.append(f"Registration: {party.legal_registration}{scheme}")
        if party.legal_form:
            lines.append(party.legal_form)
        if party.email:
            lines.append(party.email)
        return [x for x in lines if x]

    def two_columns(self, left: list[str], right: list[str]) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        width = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
        for column, lines in ((0, left), (1, right)):
            pdf.set_xy(pdf.l_margin + column * width, top)
            for index, value in enumerate(lines):
                pdf.set_font(self.family, "B" if index == 0 else "", 9)
                pdf.set_x(pdf.l_margin + column * width)
                pdf.multi_cell(width - 4, 4.6, self.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if column == 0:
                bottom = pdf.get_y()
        pdf.set_y(max(bottom, pdf.get_y()) + 4)

    def table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]], widths: tuple[int, ...],
              align: tuple[str, ...]) -> None:
        self.pdf.set_font(self.family, "", 8)
        with self.pdf.table(col_widths=widths, text_align=align, line_height=4.8, first_row_as_headings=True,
                            headings_style=FontFace(emphasis="BOLD")) as table:
            for values in (header, *rows):
                row = table.row()
                for value in values:
                    row.cell(self.text(value))
        self.pdf.ln(3)

    def render(self) -> bytes:
        doc = self.doc
        credit = doc.kind == "credit_note"
        self.line("CREDIT NOTE" if credit else "INVOICE", size=16, bold=True, height=8)
        facts = [f"Number: {doc.number}", f"Issue date: {doc.issue_date.isoformat()}"]
        if doc.due_date and not credit:
            facts.append(f"Due date: {doc.due_date.isoformat()}")
        if doc.billing_reference is not None:
            issued = f" of {doc.billing_reference.issue_date.isoformat()}" if doc.billing_reference.issue_date else ""
            facts.append(f"Corrects invoice {doc.billing_reference.number}{issued}")
        if doc.order_reference:
            facts.append(f"Purchase order: {doc.order_reference}")
        elif doc.buyer_reference:
            facts.append(f"Buyer reference: {doc.buyer_reference}")
        if doc.period:
            facts.append(f"Service period: {doc.period[0].isoformat()} to {doc.period[1].isoformat()}")
        if doc.delivery_date:
            facts.append(f"Date of supply: {doc.delivery_date.isoformat()}")
        facts.append(f"Currency: {doc.currency}")
        for fact in facts:
            self.line(fact)
        self.pdf.ln(3)
        self.two_columns(self.party("Seller", doc.seller), self.party("Buyer", doc.buyer))
        rows: list[tuple[str, ...]] = [(line.id, line.name + (f" ({line.description})" if line.description else ""),
                 plain_quantity(line.quantity), line.unit_code, plain(line.unit_price.normalize())
                 if line.unit_price else "0", f"{line.category.code} {plain(line.category.percent)}%",
                 self.doc.amount(line.net_amount)) for line in doc.lines]
        self.table(("#", "Description", "Qty", "Unit", "Unit price", "VAT", f"Net ({doc.currency})"), rows,
                   (8, 70, 14, 12, 22, 18, 26), ("LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "LEFT", "RIGHT"))
        if doc.allowances_charges:
            rows = [("Charge" if ac.charge else "Allowance", ac.reason or ac.reason_code or "",
                     f"{ac.category.code} {plain(ac.category.percent)}%",
                     self.doc.amount(ac.amount if ac.charge else -ac.amount)) for ac in doc.allowances_charges]
            self.table(("Type", "Reason", "VAT", f"Amount ({doc.currency})"), rows, (25, 95, 25, 25),
                       ("LEFT", "LEFT", "LEFT", "RIGHT"))
        breakdown = doc.breakdown()
        rows = [(f"{cat.code} {CATEGORIES.get(cat.code, '')}", f"{plain(cat.percent)}%", self.doc.amount(taxable),
                 self.doc.amount(tax)) for cat, taxable, tax in breakdown]
        self.table(("VAT category", "Rate", f"Taxable ({doc.currency})", f"VAT ({doc.currency})"), rows,
                   (80, 20, 35, 35), ("LEFT", "RIGHT", "RIGHT", "RIGHT"))
        for cat, _, _ in breakdown:
            if cat.exemption_reason or cat.exemption_reason_code:
                label = "Reverse charge" if cat.code == "AE" else "VAT exemption"
                reason = " ".join(x for x in (cat.exemption_reason, f"({cat.exemption_reason_code})"
                                              if cat.exemption_reason_code else None) if x)
                self.line(f"{label} - category {cat.code}: {reason}")
        totals = [("Sum of line net amounts", doc.line_total)]
        if doc.allowances_charges:
            totals += [("Allowances", -doc.allowance_total), ("Charges", doc.charge_total)]
        totals += [("Total without VAT", doc.tax_exclusive), ("VAT", doc.tax_total),
                   ("Total with VAT", doc.tax_inclusive)]
        if doc.prepaid_amount:
            totals.append(("Paid in advance", -doc.prepaid_amount))
        totals.append(("Amount to be credited" if credit else "Amount due", doc.payable))
        self.pdf.ln(2)
        for index, (label, value) in enumerate(totals):
            last = index == len(totals) - 1
            self.pdf.set_font(self.family, "B" if last else "", 10 if last else 9)
            self.pdf.cell(130, 5.2, self.text(label), align="R")
            self.pdf.cell(0, 5.2, self.text(self.money(value)), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(3)
        if doc.payment_terms:
            self.line(f"Payment terms: {doc.payment_terms}")
        if doc.payment is not None and doc.payment.iban:
            bic = f", BIC {doc.payment.bic}" if doc.payment.bic else ""
            reference = f", reference {doc.payment.remittance}" if doc.payment.remittance else ""
            self.line(f"Bank account: IBAN {doc.payment.iban}{bic}{reference}")
        for note in doc.notes:
            self.line(note)
        return bytes(self.pdf.output())


def render(doc: EDocument, *, font: Path | None = None) -> bytes:
    """The PDF of ``doc`` (checked like the UBL: the same data, the same totals)."""
    doc.check()
    return _Writer(doc, font).render()
