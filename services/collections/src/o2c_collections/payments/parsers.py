"""Bank and remittance file parsers: CSV, ISO 20022 camt.053 / camt.054 (:mod:`.camt`), BAI2 (:mod:`.bai2`).
Pure (bytes in, payments out).

A file is parsed completely before anything is booked; any defect raises :class:`MalformedFile` naming the line
or element where it is, so a malformed file books nothing. Only credits (incoming cash) become payments; every
other entry (debits, reversals, returns, pending and informational entries) is listed in
:attr:`ParseResult.skipped` with its reason.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Literal

from o2c_collections.cashapp.engine import Line
from o2c_collections.payments.bai2 import parse_bai2
from o2c_collections.payments.camt import parse_camt
from o2c_collections.payments.parsed import (
    MalformedFile,
    ParsedPayment,
    ParseResult,
    Skipped,
    amount,
    currency,
    iso_date,
)
from o2c_common.money import in_minor_units, minor_units

__all__ = ["CSV_COLUMNS", "MAX_FILE_BYTES", "FileFormat", "MalformedFile", "ParseResult", "ParsedPayment",
           "Skipped", "parse", "parse_csv", "parse_file"]

FileFormat = Literal["csv", "camt053", "camt054", "bai2"]
MAX_FILE_BYTES = 20 * 1024 * 1024


def parse_file(content: bytes, file_format: FileFormat) -> ParseResult:
    """The file's payments and the entries it does not book, with why."""
    if not content.strip():
        raise MalformedFile("the file is empty", where="#")
    if len(content) > MAX_FILE_BYTES:
        raise MalformedFile("the file is larger than 20 MiB", where="#")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedFile("the file is not UTF-8 text", where="#") from None
    if file_format == "csv":
        result = ParseResult(parse_csv(text))
    elif file_format == "bai2":
        result = parse_bai2(text)
    else:
        result = parse_camt(text, kind=file_format[-3:])
    for payment in result.payments:
        for value in (payment.amount, *(line.amount for line in payment.lines if line.amount is not None)):
            if not in_minor_units(value, payment.currency):
                raise MalformedFile(f"{value} {payment.currency} has digits below the currency's minor unit "
                                    f"({minor_units(payment.currency)} decimals)", where=payment.where or "#")
    return result


def parse(content: bytes, file_format: FileFormat) -> list[ParsedPayment]:
    """The payments of a file that has at least one; a file with none is refused (nothing to book)."""
    result = parse_file(content, file_format)
    if not result.payments:
        skipped = f" ({len(result.skipped)} entries skipped: debits, reversals, returns or not booked)" \
            if result.skipped else ""
        raise MalformedFile(f"the file holds no incoming payment{skipped}", where="#")
    return result.payments


# --- CSV -----------------------------------------------------------------------------------------------

CSV_COLUMNS = ("bank_reference", "value_date", "currency", "amount", "customer_id", "payer_name", "remittance")


def parse_csv(text: str) -> list[ParsedPayment]:
    """Columns as :data:`CSV_COLUMNS`; ``remittance`` is ``REF[:AMOUNT[:REASON]]`` entries separated by ``;``.
    Whatever the csv module cannot read (a bare CR inside a field, a NUL) is a 422 naming the line."""
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise MalformedFile("the file holds a NUL character", where=f"#/line/{line}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _payments(reader)
    except csv.Error as exc:
        raise MalformedFile(f"not readable as CSV: {exc}", where=f"#/line/{reader.line_num}") from None


def _payments(reader: csv.DictReader[str]) -> list[ParsedPayment]:
    missing = set(CSV_COLUMNS[:4]) - set(reader.fieldnames or ())
    if missing:
        raise MalformedFile(f"missing columns: {', '.join(sorted(missing))}", where="#/line/1")
    payments = []
    for n, row in enumerate(reader, start=2):
        where = f"#/line/{n}"
        if None in row or any(v is None for v in row.values()):
            raise MalformedFile("wrong number of fields", where=where)
        lines = []
        for entry in filter(None, (e.strip() for e in (row.get("remittance") or "").split(";"))):
            parts = entry.split(":")
            if len(parts) > 3 or not parts[0].strip():
                raise MalformedFile(f"remittance entry {entry!r} is not REF[:AMOUNT[:REASON]]", where=where)
            lines.append(Line(reference=parts[0].strip(),
                              amount=_positive(parts[1], where) if len(parts) > 1 and parts[1].strip() else None,
                              reason_code=parts[2].strip() if len(parts) > 2 and parts[2].strip() else None))
        payments.append(ParsedPayment(
            bank_reference=(row.get("bank_reference") or "").strip() or None,
            value_date=iso_date(row["value_date"], where), currency=currency(row["currency"], where),
            amount=_positive(row["amount"], where), customer_id=(row.get("customer_id") or "").strip() or None,
            payer_name=(row.get("payer_name") or "").strip() or None, lines=tuple(lines), where=where))
    return payments


def _positive(raw: str, where: str) -> Decimal:
    value = amount(raw, where)
    if value <= 0:
        raise MalformedFile(f"{raw!r} is not a positive amount", where=where)
    return value
