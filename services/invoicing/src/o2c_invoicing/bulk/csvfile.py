"""Invoices from a CSV file, one row per invoice line; rows sharing a ``ref`` are one invoice.

Columns (header row, any order): ``ref``, ``legal_entity``, ``customer_id``, ``currency``, ``description``,
``quantity``, ``unit_price`` are required; ``tax_rate``, ``po_line`` (per line) and ``po_number``,
``issue_date``, ``payment_terms``, ``payment_terms_days``, ``service_period_start``, ``service_period_end``,
``owning_team`` (per invoice: the same on every row of a ref, or empty after the first) are optional.

Each invoice is checked with the API's own schema (``InvoiceCreate``); an invoice with any bad row is reported
with every error, by file line, and not sent: an invoice is written whole or not at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from o2c_invoicing.invoices.schemas import InvoiceCreate

REQUIRED = ("ref", "legal_entity", "customer_id", "currency", "description", "quantity", "unit_price")
HEADER_FIELDS = ("legal_entity", "customer_id", "currency", "po_number", "issue_date", "payment_terms",
                 "payment_terms_days", "service_period_start", "service_period_end", "owning_team")
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "po_line")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RowError:
    line: int  # line of the file (the header is line 1); 0: the file as a whole
    ref: str
    detail: str


@dataclass
class CsvInvoice:
    ref: str
    lines: list[int] = field(default_factory=list)  # the file lines of its rows
    body: dict[str, Any] = field(default_factory=dict)  # the POST /invoices body

    @property
    def idempotency_key(self) -> str:
        """The ref and a digest of the body: a re-run of the same file replays, an edited invoice is new."""
        digest = hashlib.sha256(json.dumps(self.body, sort_keys=True).encode()).hexdigest()[:16]
        return f"csv-import:{self.ref}:{digest}"

    def line_of(self, pointer: str) -> int:
        """The file line an error pointer (``#/lines/2/quantity``) refers to; the first row otherwise."""
        parts = pointer.lstrip("#/").split("/")
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(self.lines):
            return self.lines[int(parts[1])]
        return self.lines[0]


def parse_invoices(text: str) -> tuple[list[CsvInvoice], list[RowError]]:
    """The valid invoices (in file order) and every error found; invoices with an error are left out."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowError(0, "", f"the file lacks the columns {', '.join(missing)}")]
    groups: dict[str, CsvInvoice] = {}
    errors: list[RowError] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            return [], [RowError(0, "", f"more than {MAX_ROWS} rows: split the file")]
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        ref = row.get("ref", "")
        if not ref:
            errors.append(RowError(number, "", "ref is empty"))
            continue
        invoice = groups.setdefault(ref, CsvInvoice(ref=ref))
        invoice.lines.append(number)
        for name in HEADER_FIELDS:
            value = row.get(name, "")
            if not value:
                continue
            if invoice.body.setdefault(name, value) != value:
                errors.append(RowError(number, ref, f"{name} {value!r} differs from {invoice.body[name]!r} on "
                                                    f"line {invoice.lines[0]} of the same ref"))
        invoice.body.setdefault("lines", []).append({k: row[k] for k in LINE_FIELDS if row.get(k)})
    bad_refs = {e.ref for e in errors}
    valid = []
    for invoice in groups.values():
        try:
            InvoiceCreate.model_validate(invoice.body)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                pointer = "#/" + "/".join(str(part) for part in error["loc"])
                field_name = str(error["loc"][-1]) if error["loc"] else "invoice"
                errors.append(RowError(invoice.line_of(pointer), invoice.ref, f"{field_name}: {error['msg']}"))
            bad_refs.add(invoice.ref)
        if invoice.ref not in bad_refs:
            valid.append(invoice)
    return valid, sorted(errors, key=lambda e: (e.line, e.detail))
