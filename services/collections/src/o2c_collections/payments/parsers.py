"""Bank and remittance file parsers: CSV, ISO 20022 camt.053 / camt.054, BAI2. Pure (bytes in, payments out).

A file is parsed completely before anything is booked; any defect raises :class:`MalformedFile` naming
where it is, so a malformed file books nothing. Only credits (incoming cash) become payments.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from o2c_collections.cashapp.engine import Line
from o2c_common.errors import ValidationFailed

FileFormat = Literal["csv", "camt053", "camt054", "bai2"]
MAX_FILE_BYTES = 20 * 1024 * 1024
_INVOICE_TOKEN = re.compile(r"[A-Za-z]{0,6}[-/]?\d[\w/-]{3,}")


class MalformedFile(ValidationFailed):
    type = "malformed-payment-file"
    title = "Malformed payment file"

    def __init__(self, detail: str, *, where: str) -> None:
        super().__init__(detail, errors=[{"detail": detail, "pointer": where, "code": "malformed_file"}])


@dataclass(frozen=True)
class ParsedPayment:
    bank_reference: str | None
    value_date: date
    currency: str
    amount: Decimal
    customer_id: str | None = None
    payer_name: str | None = None
    lines: tuple[Line, ...] = field(default_factory=tuple)


def parse(content: bytes, file_format: FileFormat) -> list[ParsedPayment]:
    if not content.strip():
        raise MalformedFile("the file is empty", where="#")
    if len(content) > MAX_FILE_BYTES:
        raise MalformedFile("the file is larger than 20 MiB", where="#")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedFile("the file is not UTF-8 text", where="#") from None
    payments = {"csv": parse_csv, "camt053": parse_camt, "camt054": parse_camt, "bai2": parse_bai2}[file_format](text)
    if not payments:
        raise MalformedFile("the file holds no incoming payment", where="#")
    return payments


def _amount(raw: str, where: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise MalformedFile(f"{raw!r} is not an amount", where=where) from None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise MalformedFile(f"{raw!r} is not a positive amount", where=where)
    return value


def _date(raw: str, where: str, fmt: str = "%Y-%m-%d") -> date:
    try:
        return datetime.strptime(raw.strip(), fmt).date()  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        raise MalformedFile(f"{raw!r} is not a date ({fmt})", where=where) from None


def _currency(raw: str, where: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", raw.strip()):
        raise MalformedFile(f"{raw!r} is not an ISO 4217 currency", where=where)
    return raw.strip()


# --- CSV -----------------------------------------------------------------------------------------------

CSV_COLUMNS = ("bank_reference", "value_date", "currency", "amount", "customer_id", "payer_name", "remittance")


def parse_csv(text: str) -> list[ParsedPayment]:
    """Columns as :data:`CSV_COLUMNS`; ``remittance`` is ``REF[:AMOUNT[:REASON]]`` entries separated by ``;``."""
    reader = csv.DictReader(io.StringIO(text))
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
                              amount=_amount(parts[1], where) if len(parts) > 1 and parts[1].strip() else None,
                              reason_code=parts[2].strip() if len(parts) > 2 and parts[2].strip() else None))
        payments.append(ParsedPayment(
            bank_reference=(row.get("bank_reference") or "").strip() or None,
            value_date=_date(row["value_date"], where), currency=_currency(row["currency"], where),
            amount=_amount(row["amount"], where), customer_id=(row.get("customer_id") or "").strip() or None,
            payer_name=(row.get("payer_name") or "").strip() or None, lines=tuple(lines)))
    return payments


# --- ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification) ---------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element, path: str) -> ET.Element | None:
    current: ET.Element | None = node
    for step in path.split("/"):
        if current is None:
            return None
        current = next((c for c in current if _local(c.tag) == step), None)
    return current


def _findall(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node.iter() if _local(c.tag) == name]


def _text(node: ET.Element, path: str) -> str | None:
    found = _find(node, path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def parse_camt(text: str) -> list[ParsedPayment]:
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise MalformedFile("DTDs and entities are not accepted", where="#")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs and entities refused above; expat limits expansion
    except ET.ParseError as exc:
        raise MalformedFile(f"not well-formed XML: {exc}", where="#") from None
    if _local(root.tag) != "Document" or not any(_local(c.tag) in ("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn")
                                                  for c in root):
        raise MalformedFile("not a camt.053 or camt.054 document", where="#/Document")
    payments = []
    for n, entry in enumerate(_findall(root, "Ntry"), start=1):
        where = f"#/Ntry/{n}"
        if _text(entry, "CdtDbtInd") == "DBIT":
            continue
        amount_node = _find(entry, "Amt")
        if amount_node is None or amount_node.text is None:
            raise MalformedFile("entry without Amt", where=where)
        value_date = _text(entry, "ValDt/Dt") or _text(entry, "BookgDt/Dt")
        if value_date is None:
            raise MalformedFile("entry without ValDt/Dt", where=where)
        tx = _find(entry, "NtryDtls/TxDtls")
        lines: list[Line] = []
        payer_name = customer_id = None
        if tx is not None:
            payer_name = _text(tx, "RltdPties/Dbtr/Nm") or _text(tx, "RltdPties/Dbtr/Pty/Nm")
            customer_id = _text(tx, "RltdPties/Dbtr/Id/OrgId/Othr/Id") or _text(
                tx, "RltdPties/Dbtr/Pty/Id/OrgId/Othr/Id")
            for strd in _findall(tx, "Strd"):
                ref = _text(strd, "RfrdDocInf/Nb")
                paid = _text(strd, "RfrdDocAmt/RmtdAmt")
                reason = _text(strd, "RfrdDocAmt/AdjstmntAmtAndRsn/Rsn")
                if ref:
                    lines.append(Line(ref, _amount(paid, where) if paid else None, reason))
            if not lines:
                for ustrd in _findall(tx, "Ustrd"):
                    lines.extend(Line(t) for t in _INVOICE_TOKEN.findall(ustrd.text or ""))
        payments.append(ParsedPayment(
            bank_reference=_text(entry, "AcctSvcrRef") or (tx is not None and _text(tx, "Refs/AcctSvcrRef")) or None,
            value_date=_date(value_date, where), currency=_currency(amount_node.get("Ccy", ""), where),
            amount=_amount(amount_node.text, where), customer_id=customer_id, payer_name=payer_name,
            lines=tuple(lines)))
    return payments


# --- BAI2 ----------------------------------------------------------------------------------------------


def parse_bai2(text: str) -> list[ParsedPayment]:
    """01 file, 02 group (as-of date), 03 account (currency), 16 detail (+88 continuations), 49/98/99 trailers
    with control totals checked. Credit type codes 100-399 become payments; customer reference = payer id."""
    records: list[tuple[int, list[str]]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().rstrip("/")
        if not line:
            continue
        fields = line.split(",")
        if fields[0] == "88" and records:
            records[-1][1].extend(line.split(",", 1)[1].split(",") if "," in line else [])
            continue
        records.append((n, fields))
    if not records or records[0][1][0] != "01" or records[-1][1][0] != "99":
        raise MalformedFile("a BAI2 file starts with 01 and ends with 99", where="#/line/1")
    payments: list[ParsedPayment] = []
    as_of: date | None = None
    currency = "USD"
    account_total = 0
    for n, fields in records:
        where = f"#/line/{n}"
        code = fields[0]
        if code == "02":
            if len(fields) < 5:
                raise MalformedFile("02 record too short", where=where)
            as_of = _date(fields[4], where, "%y%m%d")
        elif code == "03":
            if as_of is None:
                raise MalformedFile("03 record outside a group", where=where)
            currency = _currency(fields[2], where) if len(fields) > 2 and fields[2] else "USD"
            account_total = 0
        elif code == "16":
            if as_of is None or len(fields) < 3:
                raise MalformedFile("16 record outside an account or too short", where=where)
            if not fields[1].isdigit() or not fields[2].isdigit():
                raise MalformedFile("16 record type code and amount must be digits", where=where)
            cents = int(fields[2])
            account_total += cents
            if not 100 <= int(fields[1]) < 400 or cents == 0:
                continue
            bank_ref = fields[4].strip() if len(fields) > 4 else ""
            customer_ref = fields[5].strip() if len(fields) > 5 else ""
            remittance = ",".join(fields[6:])
            payments.append(ParsedPayment(
                bank_reference=bank_ref or None, value_date=as_of, currency=currency,
                amount=Decimal(cents) / 100, customer_id=customer_ref or None,
                lines=tuple(Line(t) for t in _INVOICE_TOKEN.findall(remittance))))
        elif code == "49":
            if len(fields) < 2 or not fields[1].lstrip("-").isdigit():
                raise MalformedFile("49 record without control total", where=where)
            if int(fields[1]) != account_total:
                raise MalformedFile(f"account control total {fields[1]} does not match {account_total}", where=where)
        elif code not in ("01", "98", "99"):
            raise MalformedFile(f"unknown record type {code!r}", where=where)
    return payments
