"""What the cash application engine reads and decides: open items, cash with its remittance, the decision with
its evidence (pure data, no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from o2c_common.money import round_money

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    """An open item. ``discount_percent`` and ``discount_until``: the early-payment discount of its terms (2/10 net
    30: 2 % when paid by the issue date + 10 days)."""

    invoice_id: uuid.UUID
    invoice_number: str
    customer_id: str
    currency: str
    open_amount: Decimal
    due_date: date
    po_number: str | None = None
    discount_percent: Decimal | None = None
    discount_until: date | None = None

    def discounted(self) -> Decimal | None:
        """What settles the item with its early-payment discount taken (None: its terms have none)."""
        if not self.discount_percent or self.discount_until is None:
            return None
        return round_money(self.open_amount * (100 - self.discount_percent) / 100, self.currency)


@dataclass(frozen=True)
class Line:
    """One remittance line: a reference (an invoice or PO number, or free text), an amount, a reason, and the
    free text it was read from when the reference is one token of it (camt ``Ustrd``, BAI2 88 text)."""

    reference: str | None
    amount: Decimal | None = None
    reason_code: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Cash:
    amount: Decimal
    currency: str
    customer_id: str | None
    lines: Sequence[Line] = ()
    value_date: date | None = None


@dataclass(frozen=True)
class Config:
    tolerance_amount: Decimal = Decimal("5.00")
    tolerance_percent: Decimal = Decimal("0.5")
    deduction_band_percent: Decimal = Decimal("10")
    combination_max_items: int = 30
    combination_max_size: int = 6
    combination_node_budget: int = 50_000
    candidates: int = 3


@dataclass(frozen=True)
class Allocation:
    invoice_id: uuid.UUID
    invoice_number: str
    amount: Decimal
    write_off: Decimal = ZERO  # tolerance difference closed with the invoice
    deduction: Decimal = ZERO  # shortfall recorded as a deduction
    deduction_reason: str | None = None
    discount: Decimal = ZERO  # early-payment discount taken within its window
    note: str | None = None  # why the deduction arose, when not from a remittance reason


@dataclass(frozen=True)
class Candidate:
    invoice_id: uuid.UUID
    invoice_number: str
    open_amount: Decimal
    score: Decimal


@dataclass(frozen=True)
class Evidence:
    """One reading behind a decision: which remittance field said what, which rule read it, which invoice it
    named, and whether that was used (``matched``) or ``rejected`` and why."""

    field: str
    text: str
    rule: str
    invoice_number: str | None
    outcome: str  # matched | rejected
    why: str

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "text": self.text, "rule": self.rule, "invoice_number": self.invoice_number,
                "outcome": self.outcome, "why": self.why}


@dataclass(frozen=True)
class Decision:
    rule: str | None
    confidence: Decimal
    allocations: tuple[Allocation, ...]
    unapplied: Decimal
    reason: str | None  # why cash stays unapplied: no_match | ambiguous | remainder | overpayment | unidentified_payer
    explanation: str
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)


def tolerance(config: Config, amount: Decimal) -> Decimal:
    return min(config.tolerance_amount, abs(amount) * config.tolerance_percent / 100)


def in_band(config: Config, item: Item, shortfall: Decimal) -> bool:
    """A shortfall a deduction may take: within the configured band of the item's open amount (issue 13.3)."""
    return ZERO < shortfall <= item.open_amount * config.deduction_band_percent / 100


def decision(cash: Cash, rule: str, confidence: Decimal, allocations: tuple[Allocation, ...], explanation: str,
             evidence: tuple[Evidence, ...] = ()) -> Decision:
    applied = sum((a.amount for a in allocations), ZERO)
    left = cash.amount - applied
    return Decision(rule=rule, confidence=confidence, allocations=allocations, unapplied=left,
                    reason="overpayment" if left > 0 else None, explanation=explanation, evidence=evidence)
