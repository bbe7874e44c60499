"""BAI2's lexical layer: physical lines into records (``/`` and newline endings, ``88`` continuations, several
records on a line), a record's fields read in order, and the typed fields (integers, YYMMDD dates, HHMM times,
funds-type availability). :mod:`o2c_collections.payments.bai2` reads the file's structure from these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from o2c_collections.payments.parsed import MalformedFile, iso_date

CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
_START = re.compile(r"(?:01|02|03|16|49|88|98|99),")
_BETWEEN = re.compile(r"(?<=/)\s+(?=(?:01|02|03|16|49|88|98|99),)")  # slash-ended records sharing a line
FUNDS_TYPES = ("", "0", "1", "2", "Z", "S", "V", "D")


@dataclass
class Record:
    line: int
    code: str
    segments: list[str]  # the record's fields after "NN,", then each 88 continuation's
    physical: int = 1  # physical records: itself and its 88s
    open: bool = False  # the last physical record did not end with "/"


def _unslash(body: str) -> tuple[str, bool]:
    stripped = body.rstrip()
    if stripped.endswith("/"):
        return stripped[:-1], True
    return stripped, False


def split_records(text: str) -> list[Record]:
    records: list[Record] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        for part in _BETWEEN.split(raw.strip()):
            part = part.strip()
            if not part:
                continue
            if _START.match(part):
                body, ended = _unslash(part[3:])
                if part[:2] != "88":
                    records.append(Record(n, part[:2], [body], open=not ended))
                    continue
                if not records:
                    raise MalformedFile("an 88 continuation record without a record before it", where=f"#/line/{n}")
                records[-1].segments.append(body)
                records[-1].physical += 1
                records[-1].open = not ended
            elif records and records[-1].code == "16" and records[-1].open:
                body, ended = _unslash(part)  # a 16's text wrapped onto the next physical line
                records[-1].segments[-1] = f"{records[-1].segments[-1]} {body}"
                records[-1].open = not ended
            else:
                raise MalformedFile(f"{part[:24]!r} is not a BAI2 record (01, 02, 03, 16, 49, 88, 98 or 99)",
                                    where=f"#/line/{n}")
    return records


class Fields:
    """The comma-separated fields of a record and its continuations, read in order; the text field is the
    rest of the record (commas and slashes in it kept)."""

    def __init__(self, record: Record) -> None:
        self.segments = record.segments
        self.i = 0
        self.pos = 0
        self.where = f"#/line/{record.line}"

    def next(self, name: str, *, required: bool = True) -> str:
        while self.i < len(self.segments):
            segment = self.segments[self.i]
            if self.pos > len(segment):
                self.i, self.pos = self.i + 1, 0
                continue
            comma = segment.find(",", self.pos)
            if comma < 0:
                value, self.pos = segment[self.pos:], len(segment) + 1
            else:
                value, self.pos = segment[self.pos:comma], comma + 1
            return value.strip()
        if required:
            raise MalformedFile(f"the record ends before its {name}", where=self.where)
        return ""

    def at_segment_end(self) -> bool:
        return self.i >= len(self.segments) or self.pos > len(self.segments[self.i])

    def more(self) -> bool:
        """Whether anything but blanks is left."""
        return self._rest_raw() != ""

    def _rest_raw(self) -> str:
        parts = []
        for k in range(self.i, len(self.segments)):
            segment = self.segments[k]
            start = self.pos if k == self.i else 0
            if start <= len(segment):
                parts.append(segment[start:])
        return " ".join(p.strip() for p in parts if p.strip())

    def rest(self) -> str:
        text = self._rest_raw()
        self.i, self.pos = len(self.segments), 0
        return text


def int_field(raw: str, what: str, where: str, *, signed: bool = False, blank: int | None = None) -> int:
    if raw == "" and blank is not None:
        return blank
    if not re.fullmatch(r"[+-]?\d+" if signed else r"\d+", raw):
        sign = "a signed whole number" if signed else "an unsigned whole number"
        raise MalformedFile(f"{what} {raw!r} is not {sign} (amounts carry implied decimals)", where=where)
    return int(raw)


def yymmdd(raw: str, what: str, where: str) -> date:
    if not re.fullmatch(r"\d{6}", raw):
        raise MalformedFile(f"{what} {raw!r} is not YYMMDD", where=where)
    return iso_date(raw, where, "%y%m%d")


def hhmm(raw: str, what: str, where: str, *, lenient: bool = False) -> None:
    if raw == "" or raw in ("2400", "9999"):
        return
    if re.fullmatch(r"([01]\d|2[0-3])[0-5]\d", raw):
        return
    if lenient and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", raw):
        return  # NatWest writes the file creation time as HH:MM:SS; the time is not used
    raise MalformedFile(f"{what} {raw!r} is not HHMM", where=where)


@dataclass
class Availability:
    total: int = 0
    value_date: date | None = None


def read_funds(fields: Fields, funds_type: str, where: str) -> Availability:
    """Reads the fields a funds type shifts in; availability amounts are not part of any control total."""
    if funds_type not in FUNDS_TYPES:
        raise MalformedFile(f"funds type {funds_type!r} is not one of 0, 1, 2, S, V, D, Z", where=where)
    got = Availability()
    if funds_type == "S":
        for name in ("immediate", "one-day", "two-or-more-day"):
            got.total += int_field(fields.next(f"{name} availability"), f"{name} availability", where, blank=0)
    elif funds_type == "V":
        got.value_date = yymmdd(fields.next("value date"), "value date", where)
        hhmm(fields.next("value time", required=False), "value time", where)
    elif funds_type == "D":
        count = int_field(fields.next("number of distributions"), "number of distributions", where)
        for _ in range(count):
            int_field(fields.next("availability days"), "availability days", where)
            got.total += int_field(fields.next("availability amount"), "availability amount", where)
    return got
