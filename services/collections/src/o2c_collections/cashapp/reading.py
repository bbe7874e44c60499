"""A remittance read against open items: which invoices and PO numbers each field names, which readings were
rejected and why (pure: no I/O). The payer's and its group's open items are the pool; an invoice number of
anyone else is kept apart, as it stops the match (never guess)."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from o2c_collections.cashapp.decision import Cash, Evidence, Item, Line
from o2c_collections.cashapp.references import Format, Ref, extract, invoice_keys, unprefixed


@dataclass(frozen=True)
class Named:
    """An open item a remittance line names, by its invoice number or (``by="po"``) its PO number."""

    item: Item
    line: Line
    position: int
    ref: Ref
    by: str


@dataclass
class Reading:
    payer: str | None = None
    named: list[Named] = field(default_factory=list)
    po: list[Named] = field(default_factory=list)
    foreign: list[Named] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def named_per_line(self) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for n in self.named:
            counts[n.position] += 1
        return counts


@functools.lru_cache(maxsize=65_536)  # as invoice_keys: every candidate of every payment
def po_keys(po_number: str | None) -> tuple[str, ...]:
    """A PO number's keys: as written, zeros dropped, and without a ``PO`` prefix (``PO-4500012`` -> ``4500012``)."""
    if not po_number:
        return ()
    return tuple(dict.fromkeys((*invoice_keys(po_number), *invoice_keys(unprefixed(po_number.upper())))))


def _index(items: Iterable[Item], keys_of: Callable[[Item], Iterable[str]]) -> dict[str, list[Item]]:
    found: dict[str, dict[uuid.UUID, Item]] = defaultdict(dict)
    for item in items:
        for key in keys_of(item):
            found[key][item.invoice_id] = item
    return {k: list(v.values()) for k, v in found.items()}


class _Lookups:
    """The pool by invoice number and by PO number, and the other payers' referenced items by invoice number: each
    indexed on its first look-up (most remittances are read by invoice number alone, many name nothing)."""

    def __init__(self, pool: Sequence[Item], referenced: Sequence[Item]) -> None:
        self.pool, self.referenced = pool, referenced

    @functools.cached_property
    def by_number(self) -> dict[str, list[Item]]:
        return _index(self.pool, lambda i: invoice_keys(i.invoice_number))

    @functools.cached_property
    def by_po(self) -> dict[str, list[Item]]:
        return _index(self.pool, lambda i: po_keys(i.po_number))

    @functools.cached_property
    def others(self) -> dict[str, list[Item]]:
        known = {i.invoice_id for i in self.pool}
        return _index((i for i in self.referenced if i.invoice_id not in known),
                      lambda i: invoice_keys(i.invoice_number))


def fields(line: Line, position: int) -> list[tuple[str, str]]:
    """The line's readable fields: its reference and the free text it came from (when that says more)."""
    out = [(f"remittance[{position}].reference", line.reference or "")]
    if line.text and line.text.strip() != (line.reference or "").strip():
        out.append((f"remittance[{position}].text", line.text))
    return [(name, text) for name, text in out if text.strip()]


def read(cash: Cash, pool: Sequence[Item], referenced: Sequence[Item], formats: Sequence[Format] = ()) -> Reading:
    """Every field of every line read (see :mod:`references`) and each key looked up: in the pool by invoice
    number, else among other payers' invoices (``foreign``), else in the pool by PO number."""
    lookups = _Lookups(pool, referenced)
    reading = Reading(cash.customer_id)
    seen: set[tuple[str, uuid.UUID]] = set()
    for position, line in enumerate(cash.lines):
        for name, text in fields(line, position):
            hits = 0
            for ref in extract(text, field=name, formats=formats):
                reading.keys.add(ref.key)
                hits += _look_up(reading, ref, line, position, lookups, seen)
            if not hits:
                reading.evidence.append(Evidence(name, text, "reference", None, "rejected",
                                                 "names no open item of the payer or its group"))
    return reading


def _look_up(reading: Reading, ref: Ref, line: Line, position: int, lookups: _Lookups,
             seen: set[tuple[str, uuid.UUID]]) -> int:
    rule = f"invoice_number:{ref.how}"
    if ref.key in lookups.by_number:
        items = lookups.by_number[ref.key]
        if len(items) > 1:
            reading.evidence.append(Evidence(ref.field, ref.token, rule, None, "rejected",
                                             f"reads as {len(items)} open items: "
                                             + ", ".join(i.invoice_number for i in items)))
            return 1
        return _name(reading.named, reading, Named(items[0], line, position, ref, "invoice"), rule, seen)
    if ref.key in lookups.others:
        for item in lookups.others[ref.key]:
            if ("foreign", item.invoice_id) not in seen:
                seen.add(("foreign", item.invoice_id))
                reading.foreign.append(Named(item, line, position, ref, "invoice"))
                reading.evidence.append(Evidence(ref.field, ref.token, rule, item.invoice_number, "rejected",
                                                 f"{_not_payable(item, reading.payer)}: the payment is left for a "
                                                 "person"))
        return 1
    if ref.key in lookups.by_po:
        for item in lookups.by_po[ref.key]:
            _name(reading.po, reading, Named(item, line, position, ref, "po"), f"po_number:{ref.how}", seen)
        return 1
    return 0


def _not_payable(item: Item, payer: str | None) -> str:
    """Why a named invoice outside the payer's pool cannot take the cash: the payer's own in another currency (its
    own in the payment's currency are in the pool unless nothing is left to receive), else another payer's."""
    if item.customer_id == payer:
        return f"the payer's own invoice in {item.currency}, not the payment's currency"
    return f"another payer's invoice (customer {item.customer_id})"


def _name(into: list[Named], reading: Reading, named: Named, rule: str, seen: set[tuple[str, uuid.UUID]]) -> int:
    key = (named.by, named.item.invoice_id)
    if key not in seen:
        seen.add(key)
        into.append(named)
        reading.evidence.append(Evidence(named.ref.field, named.ref.token, rule, named.item.invoice_number, "named",
                                         f"{named.by} number of {named.item.invoice_number} "
                                         f"(customer {named.item.customer_id})"))
    return 1
