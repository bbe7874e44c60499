"""The pure part of the reconciliation: three streams sorted by invoice id, merge-joined, and one invoice's
figures compared. No I/O: the streams come from ``client`` (invoicing, collections) and ``repository`` (kpi)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from o2c_common.money import round_money


class Side(StrEnum):
    INVOICING = "invoicing"
    COLLECTIONS = "collections"
    KPI = "kpi"


class SourceError(Exception):
    """A source answered something the reconciliation cannot compare (an error status, an unsorted page)."""


@dataclass(frozen=True)
class Row:
    """One invoice as one service sees it. ``open`` is None when that service has no figure yet (invoicing
    before it mirrored the first ledger entry); ``sequence`` is the ledger entries it has seen (kpi: None)."""

    invoice_id: uuid.UUID
    currency: str
    open: Decimal | None
    sequence: int | None = None
    invoice_number: str | None = None
    customer_id: str | None = None
    owning_team: str | None = None


@dataclass(frozen=True)
class Drift:
    """An invoice whose figures disagree, and why (``reasons``: missing_in_<side>, currency, amount, sequence)."""

    invoice_id: uuid.UUID
    currency: str
    figures: dict[Side, Row | None]
    reasons: tuple[str, ...]
    difference: Decimal
    invoice_number: str | None = None
    customer_id: str | None = None
    owning_team: str | None = None
    missing_in: tuple[str, ...] = field(default=())

    def open_of(self, side: Side) -> Decimal | None:
        row = self.figures.get(side)
        return row.open if row is not None else None

    def sequence_of(self, side: Side) -> int | None:
        row = self.figures.get(side)
        return row.sequence if row is not None else None

    def as_json(self) -> dict[str, Any]:
        """The figures as stored on the drift row and shown by the API (decimal strings)."""
        return {
            "invoicing_open": _text(self.open_of(Side.INVOICING)),
            "collections_open": _text(self.open_of(Side.COLLECTIONS)),
            "kpi_open": _text(self.open_of(Side.KPI)),
            "invoicing_sequence": self.sequence_of(Side.INVOICING),
            "collections_entries": self.sequence_of(Side.COLLECTIONS),
            "currencies": {side.value: row.currency for side, row in self.figures.items() if row is not None},
            "missing_in": list(self.missing_in),
            "reasons": list(self.reasons),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def compare(invoice_id: uuid.UUID, figures: dict[Side, Row | None]) -> Drift | None:
    """None when every service has the invoice, in one currency, with the same open amount (to the currency's
    minor unit) and invoicing has mirrored as many ledger entries as collections posted."""
    present = {side: row for side, row in figures.items() if row is not None}
    missing = tuple(side.value for side in Side if figures.get(side) is None)
    reasons = [f"missing_in_{side}" for side in missing]
    invoicing, collections = figures.get(Side.INVOICING), figures.get(Side.COLLECTIONS)
    named = collections or invoicing or next(iter(present.values()))  # the ledger's identity first
    if len({row.currency for row in present.values()}) > 1:
        reasons.append("currency")
    opens = [round_money(row.open, row.currency) for row in present.values() if row.open is not None]
    if len(set(opens)) > 1 or any(row.open is None for row in present.values()):
        reasons.append("amount")
    if invoicing is not None and collections is not None and invoicing.sequence != collections.sequence:
        reasons.append("sequence")
    if not reasons:
        return None
    compared = opens + [Decimal(0)] * (len(missing) + sum(1 for r in present.values() if r.open is None))
    return Drift(invoice_id=invoice_id, currency=named.currency, figures=dict(figures), reasons=tuple(reasons),
                 difference=max(compared) - min(compared), invoice_number=named.invoice_number or (
                     invoicing.invoice_number if invoicing else None),
                 customer_id=named.customer_id, owning_team=named.owning_team, missing_in=missing)


Joined = tuple[uuid.UUID, dict[Side, Row | None]]


async def merge_join(streams: dict[Side, AsyncIterator[Row]]) -> AsyncIterator[Joined]:
    """Every invoice id of the ascending ``streams`` once, with each side's row (None where it has none)."""
    heads: dict[Side, Row | None] = {side: await _next(side, stream, None) for side, stream in streams.items()}
    while True:
        current = [row.invoice_id for row in heads.values() if row is not None]
        if not current:
            return
        smallest = min(current)
        figures: dict[Side, Row | None] = {}
        for side, row in heads.items():
            if row is not None and row.invoice_id == smallest:
                figures[side] = row
                heads[side] = await _next(side, streams[side], smallest)
            else:
                figures[side] = None
        yield smallest, figures


async def _next(side: Side, stream: AsyncIterator[Row], previous: uuid.UUID | None) -> Row | None:
    try:
        row = await anext(stream)
    except StopAsyncIteration:
        return None
    if previous is not None and row.invoice_id <= previous:
        raise SourceError(f"{side}'s rows are not ascending by invoice id ({row.invoice_id} after {previous})")
    return row
