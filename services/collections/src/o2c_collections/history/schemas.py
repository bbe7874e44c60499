"""Rows of the IBM late-payment history file (examples/data/ibm-late-payment-histories.csv)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from o2c_common.errors import UnprocessableEntity

COLUMNS = ("countryCode", "customerID", "invoiceNumber", "InvoiceDate", "DueDate", "InvoiceAmount", "Disputed",
           "SettledDate")
NAMESPACE = uuid.UUID("5d8f3b1e-8c1a-4f55-9b61-3f2a4c7e0d21")


@dataclass(frozen=True)
class HistoryRow:
    line: int
    country_code: str
    customer_id: str
    invoice_number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    disputed: bool
    settled_date: date

    @property
    def invoice_id(self) -> uuid.UUID:
        """Stable across runs: a re-run finds the invoice and changes nothing."""
        return uuid.uuid5(NAMESPACE, f"invoice:{self.invoice_number}")

    @property
    def dispute_id(self) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"dispute:{self.invoice_number}")


def _date(raw: str) -> date:
    month, day, year = raw.strip().split("/")
    return date(int(year), int(month), int(day))


def parse(text: str) -> list[HistoryRow]:
    """Every row, or a 422 naming the first bad line (nothing is imported from a malformed file)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UnprocessableEntity(f"the file lacks the columns {', '.join(missing)}")
    rows = []
    for number, raw in enumerate(reader, start=2):
        try:
            rows.append(HistoryRow(
                line=number, country_code=raw["countryCode"].strip(), customer_id=raw["customerID"].strip(),
                invoice_number=raw["invoiceNumber"].strip(), invoice_date=_date(raw["InvoiceDate"]),
                due_date=_date(raw["DueDate"]), amount=Decimal(raw["InvoiceAmount"].strip()),
                disputed=raw["Disputed"].strip().lower() == "yes", settled_date=_date(raw["SettledDate"])))
        except (ValueError, InvalidOperation, AttributeError) as exc:
            raise UnprocessableEntity(f"line {number}: {exc}") from exc
        if rows[-1].amount <= 0 or not rows[-1].invoice_number or not rows[-1].customer_id:
            raise UnprocessableEntity(f"line {number}: an invoice needs a number, a customer and a positive amount")
    return rows
