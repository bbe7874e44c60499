"""The ECB euro foreign exchange reference rates file, in each form the ECB publishes it, read into rates.

* XML: ``eurofxref-daily.xml`` (and the 90-day and historical XML files of the same shape): a gesmes
  ``Envelope`` holding ``<Cube><Cube time="YYYY-MM-DD"><Cube currency="USD" rate="1.0705"/>…``.
* CSV: ``eurofxref-hist.csv`` (``Date,USD,JPY,…,`` then one line per day, ``N/A`` where a currency had no rate,
  a trailing comma on every line) and the daily ``eurofxref.csv`` (``Date, USD, …`` with dates as
  ``28 June 2024``).
* ZIP: ``eurofxref-hist.zip`` / ``eurofxref.zip``, holding one such CSV.

Every rate is units of the currency for one euro. The XML is read by lxml with no network access, no DTD and no
entity expansion (a DOCTYPE is refused outright), and every size is bounded. A bad file is one 422 problem
(``invalid-ecb-file``) listing the lines or elements at fault; nothing of it is stored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from lxml import etree

from o2c_common.errors import ValidationFailed

GESMES = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
MAX_FILE_BYTES = 20 * 1024 * 1024  # the historical CSV is about 7 MB today
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_RATES = 1_000_000
MAX_ERRORS = 20
CURRENCY = re.compile(r"^[A-Z]{3}$")
BLANKS = frozenset({"", "N/A"})
RATE = re.compile(r"^\d{1,13}(\.\d{1,10})?$")  # what fx_rates.rate keeps: numeric(24, 10)


class EcbFormat(StrEnum):
    XML = "xml"
    CSV = "csv"
    ZIP = "zip"


class InvalidEcbFile(ValidationFailed):
    type = "invalid-ecb-file"
    title = "Not a valid ECB reference rates file"


class EcbRate(NamedTuple):
    day: date
    currency: str
    rate: Decimal  # units of ``currency`` for one euro


@dataclass(frozen=True)
class EcbFile:
    format: EcbFormat
    rates: list[EcbRate]


class _Errors:
    """The faults found so far (at most MAX_ERRORS kept), each naming its line and, for XML, its element."""

    def __init__(self) -> None:
        self.items: list[dict[str, object]] = []

    def add(self, line: int | None, detail: str, *, element: str | None = None) -> None:
        if len(self.items) < MAX_ERRORS:
            where = {"line": line} if line is not None else {}
            self.items.append({**where, **({"element": element} if element else {}), "detail": detail})

    def raise_if_any(self, what: str) -> None:
        if self.items:
            raise InvalidEcbFile(f"the {what} has {len(self.items)} fault(s); nothing was imported",
                                 errors=self.items)


def refuse(detail: str, *, line: int | None = None, element: str | None = None) -> InvalidEcbFile:
    errors = _Errors()
    errors.add(line, detail, element=element)
    return InvalidEcbFile(detail, errors=errors.items)


def parse(content: bytes) -> EcbFile:
    """The rates of an ECB file in any of its forms (told apart by content, not by name)."""
    if len(content) > MAX_FILE_BYTES:
        raise refuse(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    if content.startswith(b"PK\x03\x04"):
        return EcbFile(EcbFormat.ZIP, parse_csv(_unzip(content)))
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return EcbFile(EcbFormat.XML, parse_xml(content))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse("the file is neither ECB XML, nor a ZIP, nor UTF-8 CSV text") from exc
    return EcbFile(EcbFormat.CSV, parse_csv(text))


def _unzip(content: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv") and not m.is_dir()]
        if len(members) != 1:
            raise refuse(f"the ZIP holds {len(members)} CSV file(s); an ECB ZIP holds exactly one")
        member = members[0]
        if member.file_size > MAX_UNZIPPED_BYTES:
            raise refuse(f"{member.filename} unzips to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MiB")
        with archive.open(member) as stream:
            data = stream.read(MAX_UNZIPPED_BYTES + 1)  # never trust the declared size alone
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise refuse(f"the ZIP cannot be read: {exc}") from exc
    if len(data) > MAX_UNZIPPED_BYTES:
        raise refuse(f"{member.filename} unzips to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(f"{member.filename} is not UTF-8 text") from exc


# --- XML --------------------------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False, remove_pis=True)


def parse_xml(content: bytes) -> list[EcbRate]:
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise refuse(f"the XML is not well-formed: {exc.msg}", line=exc.lineno) from exc
    if root.getroottree().docinfo.doctype:
        raise refuse("a DOCTYPE is not accepted in an ECB rates file", line=1)
    if root.tag != f"{{{GESMES}}}Envelope":
        raise refuse(f"the root element is {root.tag}, not the gesmes Envelope of an ECB rates file",
                     line=root.sourceline, element=_name(root))
    days = [cube for cube in root.iter(f"{{{EUROFXREF}}}Cube") if cube.get("time") is not None]
    if not days:
        raise refuse("no <Cube time=…> element: the file holds no rates", line=root.sourceline)
    errors, rates = _Errors(), list[tuple[date, str, Decimal]]()
    for day_cube in days:
        day = _iso_day(day_cube.get("time", ""))
        if day is None:
            errors.add(day_cube.sourceline, f"time {day_cube.get('time')!r} is not a date YYYY-MM-DD",
                       element=_name(day_cube))
            continue
        for cube in day_cube.iterchildren(f"{{{EUROFXREF}}}Cube"):
            currency, rate = cube.get("currency", ""), _rate(cube.get("rate", ""))
            if not CURRENCY.match(currency):
                errors.add(cube.sourceline, f"currency {currency!r} is not an ISO 4217 code", element=_name(cube))
            elif rate is None:
                errors.add(cube.sourceline, f"rate {cube.get('rate')!r} is not a positive number",
                           element=_name(cube))
            else:
                rates.append((day, currency, rate))
        if len(rates) > MAX_RATES:
            raise refuse(f"the file holds more than {MAX_RATES} rates")
    errors.raise_if_any("XML file")
    if not rates:
        raise refuse("the file holds no rates (its <Cube time=…> elements are empty)", line=days[0].sourceline)
    return _unique(rates)


def _name(element: etree._Element) -> str:
    attributes = " ".join(f'{k}="{v}"' for k, v in element.attrib.items())
    return f"<{etree.QName(element).localname}{' ' + attributes if attributes else ''}>"


# --- CSV --------------------------------------------------------------------------------------------------------


def parse_csv(text: str) -> list[EcbRate]:
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if not header or header[0] != "Date":
        raise refuse("the first line must start with the Date column (Date,USD,JPY,…)", line=1)
    currencies = header[1:]
    while currencies and currencies[-1] == "":  # the ECB ends every line with a comma
        currencies.pop()
    errors, rates = _Errors(), list[tuple[date, str, Decimal]]()
    for column, currency in enumerate(currencies, start=2):
        if not CURRENCY.match(currency):
            errors.add(1, f"column {column} is {currency!r}, not an ISO 4217 currency code")
    errors.raise_if_any("CSV header")
    for line, row in enumerate(reader, start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        day = _iso_day(cells[0]) or _long_day(cells[0])
        if day is None:
            errors.add(line, f"{cells[0]!r} is not a date (YYYY-MM-DD or 28 June 2024)")
            continue
        values = cells[1:]
        if len(values) > len(currencies) and any(values[len(currencies):]):
            errors.add(line, f"{len(values)} values for {len(currencies)} currencies")
            continue
        for currency, cell in zip(currencies, values, strict=False):
            if cell in BLANKS:
                continue
            rate = _rate(cell)
            if rate is None:
                errors.add(line, f"{currency} rate {cell!r} is not a positive number")
            else:
                rates.append((day, currency, rate))
        if len(rates) > MAX_RATES:
            raise refuse(f"the file holds more than {MAX_RATES} rates")
    errors.raise_if_any("CSV file")
    if not rates:
        raise refuse("the file holds no rates")
    return _unique(rates)


def _unique(rates: list[tuple[date, str, Decimal]]) -> list[EcbRate]:
    """The rates, each day and currency once (a repeat with the same rate is dropped, another rate refused)."""
    seen: dict[tuple[date, str], Decimal] = {}
    errors = _Errors()
    for day, currency, rate in rates:
        known = seen.setdefault((day, currency), rate)
        if known != rate:
            errors.add(None, f"{currency} on {day} is given twice, as {known} and as {rate}")
    errors.raise_if_any("file")
    return [EcbRate(day, currency, rate) for (day, currency), rate in seen.items()]


# --- values -----------------------------------------------------------------------------------------------------


def _rate(text: str) -> Decimal | None:
    """A positive decimal of at most 13 digits before the point and 10 after it (as the ECB writes rates)."""
    text = text.strip()
    if not RATE.match(text):
        return None
    value = Decimal(text)
    return value if value > 0 else None


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


MONTHS = {name: n for n, name in enumerate(("January", "February", "March", "April", "May", "June", "July",
                                            "August", "September", "October", "November", "December"), start=1)}


def _long_day(text: str) -> date | None:
    """``28 June 2024``, as the daily CSV writes its date (English month names, whatever the locale)."""
    parts = text.split()
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit() or parts[1] not in MONTHS:
        return None
    try:
        return date(int(parts[2]), MONTHS[parts[1]], int(parts[0]))
    except ValueError:
        return None
