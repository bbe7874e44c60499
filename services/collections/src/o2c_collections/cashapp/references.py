"""Reading a remittance the way an experienced cash applier does (pure: no I/O, no clock).

Every field of a remittance (a structured line's reference, the free text it came with: camt ``Ustrd``/``Strd``,
BAI2 88 continuation text) is cut into tokens, and each token gives the keys it may stand for:

- the token as written, case and punctuation ignored (``inv#US012026123`` -> ``US012026123`` once the ``INV``
  prefix is dropped), and with the leading zeros of its number segments dropped (``US01-2026-000123`` ->
  ``US012026123``), so ``US01-2026-123`` and ``US012026123`` name the same invoice;
- without a suffix the payer added (``US01-2026-000123/2026``);
- several numbers in one line: ``INVOICES US01-2026-000123 124 125`` is three invoices (a short number after a
  full one replaces its last number segment);
- learned formats of the payer (:class:`Format`): ``ACME/123`` is the payer's way of writing ``US01-2026-000123``.

A key names an invoice when it equals one of the invoice's keys (:func:`invoice_keys`), a PO number when it
equals one of the PO's keys. Resolving keys against open items is the engine's job; this module only reads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
# the leading zeros of a segment made only of digits (segments are separated by punctuation)
_SEGMENT_ZEROS = re.compile(r"(^|[^0-9A-Z])0+(?=\d+(?:[^0-9A-Z]|$))")
_SPLIT = re.compile(r"[\s,;:#()\[\]{}\"'&+|*=]+")
_PREFIX = re.compile(r"^(?:INVOICES|INVOICE|INVS|INV|NO|NR|NUM|REF|RE|PO|ORDER)[.\-#:/]*(?=[A-Z0-9])")
_SUFFIX = re.compile(r"[/\\]\d{1,4}$")
_DIGITS = re.compile(r"\d+")
_JOINERS = {"AND", "UND", "ET", "Y"}
# amounts (``102.50``, ``1,250.00``) and dates (``2026-01-05``, ``05.01.2026``) are not document numbers
_NOT_A_NUMBER = re.compile(r"\d{1,3}(?:[.,']\d{3})*[.,]\d{2}|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}")

def normalise(text: str | None) -> str:
    """``' inv-2026/00042 '`` -> ``INV202600042``: case, spaces and punctuation do not matter."""
    return _NOT_ALNUM.sub("", (text or "").upper())


def stripped(text: str | None) -> str:
    """:func:`normalise` after dropping the leading zeros of each all-digit segment: ``US01-2026-000123`` ->
    ``US012026123``."""
    return normalise(_SEGMENT_ZEROS.sub(r"\1", (text or "").upper()))


@functools.lru_cache(maxsize=65_536)  # read for every candidate of every payment: a chunk reads the same ones
def invoice_keys(number: str | None) -> tuple[str, ...]:
    """The keys a document number (an invoice's, a PO's) is found by: as written and with zeros dropped."""
    keys = dict.fromkeys(k for k in (normalise(number), stripped(number)) if k)
    return tuple(keys)


def unprefixed(token: str) -> str:
    """``INV#US01-2026-000123`` -> ``US01-2026-000123``, ``PO-4500012`` -> ``4500012`` (upper-cased input)."""
    return _PREFIX.sub("", token)


def usable(key: str) -> bool:
    """A key worth looking up: a digit in it, at least 4 characters, at least 5 when only digits (``2026`` or an
    amount's ``250`` name nothing)."""
    if len(key) < 4 or _DIGITS.search(key) is None:
        return False
    return len(key) >= 5 or not key.isdigit()


@dataclass(frozen=True)
class Ref:
    """One key a remittance field may mean, with how it was read (for the decision's evidence)."""

    key: str
    token: str
    field: str
    how: str  # whole_field | in_text | suffix_dropped | shorthand | learned


@dataclass(frozen=True)
class Format:
    """A payer's own way of writing an invoice number, learned from a manual application: ``pattern`` is a regex
    over the upper-cased token with named groups (``seq``, ``year``), ``number`` the invoice number it stands for,
    with ``{seq}`` (zero-padded to ``width``) and ``{year}`` (four digits)."""

    id: str
    pattern: str
    number: str
    width: int

    def read(self, token: str) -> str | None:
        found = re.fullmatch(self.pattern, token)
        if found is None:
            return None
        groups = found.groupdict()
        year = groups.get("year")
        if year is not None and len(year) == 2:
            year = f"20{year}"
        return self.number.format(seq=groups["seq"].zfill(self.width), year=year or "")


def learn_format(token: str, number: str, *, format_id: str = "") -> Format | None:
    """The format ``token`` follows if it stands for invoice ``number``: the invoice's last number (its sequence)
    appears once in the token, the year (4 or 2 digits) maybe once too, the rest is literal. None when the token
    does not carry the sequence once (nothing to learn) or when it is the number itself (nothing new)."""
    written = token.strip().upper()
    runs = _DIGITS.findall(number)
    if not runs or not written or normalise(written) in invoice_keys(number) or _SPLIT.search(written):
        return None
    seq = runs[-1]
    year = next((r for r in runs[:-1] if len(r) == 4 and r.startswith("20")), None)
    parts = [(m.start(), m.end(), m.group()) for m in _DIGITS.finditer(written)]
    seq_at = [p for p in parts if p[2].lstrip("0") == seq.lstrip("0")]
    if len(seq_at) != 1:
        return None
    pattern, last = [], 0
    has_year = False
    for start, end, digits in parts:
        pattern.append(re.escape(written[last:start]))
        if (start, end, digits) == seq_at[0]:
            pattern.append(r"(?P<seq>\d+)")
        elif year and not has_year and digits in (year, year[2:]):
            pattern.append(rf"(?P<year>\d{{{len(digits)}}})")
            has_year = True
        else:
            pattern.append(re.escape(digits))
        last = end
    pattern.append(re.escape(written[last:]))
    template = number[: number.rfind(seq)].replace("{", "{{").replace("}", "}}") + "{seq}" + \
        number[number.rfind(seq) + len(seq):].replace("{", "{{").replace("}", "}}")
    if has_year and year:
        template = template.replace(year, "{year}", 1)
    if not re.search(r"[A-Z]", "".join(pattern).replace("(?P<seq>", "").replace("(?P<year>", "")):
        return None  # digits only (``123``): too weak a format to trust for the next payment
    return Format(id=format_id, pattern="".join(pattern), number=template, width=len(seq))


def extract(text: str | None, *, field: str, formats: Sequence[Format] = ()) -> list[Ref]:
    """Every key ``text`` may name, in the order written (duplicates dropped)."""
    found: dict[str, Ref] = {}

    def add(value: str, token: str, how: str) -> None:
        for key in invoice_keys(value):
            if (how == "whole_field" or usable(key)) and key not in found:
                found[key] = Ref(key, token, field, how)

    whole = (text or "").strip()
    if not whole:
        return []
    add(whole, whole, "whole_field")
    anchor: str | None = None
    for token in tokens(whole):
        if token.isdigit() and anchor is not None:
            for value in _shorthand(anchor, token):
                for variant, _ in _variants(value):
                    add(variant, token, "shorthand")
        if not token.isdigit() and _DIGITS.search(token):
            anchor = token
        elif not token.isdigit():
            anchor = None
        for value, how in _variants(token):
            add(value, token, how)
        for fmt in formats:
            number = fmt.read(token)
            if number is not None:
                for key in invoice_keys(number):
                    found.setdefault(key, Ref(key, token, field, f"learned:{fmt.id}"))
    return list(found.values())


def tokens(text: str | None) -> list[str]:
    """The words of ``text`` that may carry a number, upper-cased (joiners like ``AND`` left out)."""
    found = (raw.strip(".-/\\_") for raw in _SPLIT.split((text or "").upper()))
    return [t for t in found if t and t not in _JOINERS and not _NOT_A_NUMBER.fullmatch(t)]


def _variants(token: str) -> Iterable[tuple[str, str]]:
    yield token, "in_text"
    bare = _SUFFIX.sub("", token)
    if bare != token:
        yield bare, "suffix_dropped"
    for value, how in ((token, "in_text"), (bare, "suffix_dropped")):
        unprefixed = _PREFIX.sub("", value)
        if unprefixed != value:
            yield unprefixed, how


def _shorthand(anchor: str, token: str) -> list[str]:
    """``US01-2026-000123`` then ``124``: ``US01-2026-000124`` (the anchor's last number replaced, same width)."""
    bare = _SUFFIX.sub("", anchor)
    runs = list(_DIGITS.finditer(bare))
    if not runs:
        return []
    last = runs[-1]
    if len(token) > len(last.group()) or len(token.lstrip("0")) == 0:
        return []
    return [bare[: last.start()] + token.zfill(len(last.group())) + bare[last.end():]]
