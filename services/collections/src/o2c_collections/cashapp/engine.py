"""The cash application engine: pure, deterministic and explainable (no I/O, no clock).

Rules, in priority order (the first that decides wins; everything else stays unapplied with candidates):

1. ``reference_and_amount`` — a remittance reference names an open invoice of the payer and the amount
   (the line's, or the payment's for a single reference) equals its open amount;
   ``tolerance`` — the same, but the difference is within the bank-fee/FX tolerance (closed in full);
2. ``reference_deduction`` — reference found, paid short, and the remittance gives a reason code or the
   shortfall is within the deduction band: cash applied, the difference becomes a deduction;
   ``reference_partial`` — otherwise a short payment is a partial payment (the rest stays open);
3. ``single_open_item`` — no usable reference, and exactly one open item of the payer has that amount;
4. ``combination`` — exactly one combination of the payer's open items sums to the amount (bounded
   search: at most ``combination_max_items`` oldest items, ``combination_max_size`` per combination and
   ``combination_node_budget`` search steps; hitting a bound means "not proven unique" → unapplied);
   then, without a reference, ``tolerance`` — exactly one open item within the tolerance of the amount
   (tried after combinations: when an exact combination may exist, a near single item would be a guess);
5. rules 1-4 again over the payer's customer group (parent and children) → ``customer_group``.

A reference naming another payer's invoice, two open items with the same amount, two combinations
with the same sum: the engine does not choose — it leaves the cash unapplied with scored candidates.
The search budget counts steps, not seconds, so the same input always gives the same answer.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def normalise_reference(reference: str | None) -> str:
    """``' inv-2026/00042 '`` → ``INV202600042``: case, spaces and punctuation do not matter."""
    return _NOT_ALNUM.sub("", (reference or "").upper())


@dataclass(frozen=True)
class Item:
    invoice_id: uuid.UUID
    invoice_number: str
    customer_id: str
    currency: str
    open_amount: Decimal
    due_date: date


@dataclass(frozen=True)
class Line:
    reference: str | None
    amount: Decimal | None = None
    reason_code: str | None = None


@dataclass(frozen=True)
class Cash:
    amount: Decimal
    currency: str
    customer_id: str | None
    lines: Sequence[Line] = ()


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


@dataclass(frozen=True)
class Candidate:
    invoice_id: uuid.UUID
    invoice_number: str
    open_amount: Decimal
    score: Decimal


@dataclass(frozen=True)
class Decision:
    rule: str | None
    confidence: Decimal
    allocations: tuple[Allocation, ...]
    unapplied: Decimal
    reason: str | None  # why cash stays unapplied: no_match | ambiguous | remainder | overpayment | unidentified_payer
    explanation: str
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)


def tolerance(config: Config, amount: Decimal) -> Decimal:
    return min(config.tolerance_amount, abs(amount) * config.tolerance_percent / 100)


def decide(cash: Cash, *, payer_items: Sequence[Item], group_items: Sequence[Item] = (),
           referenced_items: Sequence[Item] = (), config: Config = Config()) -> Decision:
    """What to do with ``cash``. ``payer_items``: the payer's open items in the payment currency;
    ``group_items``: those of the payer's customer group; ``referenced_items``: open items whose number a
    remittance reference names, whoever owns them."""
    payer = [i for i in payer_items if i.currency == cash.currency and i.open_amount > 0]
    group = [i for i in group_items if i.currency == cash.currency and i.open_amount > 0]
    known = {i.invoice_id for i in (*payer, *group)}
    foreign = [i for i in referenced_items if i.invoice_id not in known]
    for pool, group_rule in ((payer, False), (group, True)):
        if not pool:
            continue
        decision = _decide_in(cash, pool, config=config, group_rule=group_rule, by_amount=not foreign)
        if decision is not None:
            return decision
    everything = {i.invoice_id: i for i in (*payer, *group, *referenced_items)}
    candidates = _candidates(cash, list(everything.values()), config=config)
    if cash.customer_id is None:
        reason, why = "unidentified_payer", "the payer is unknown"
    elif foreign:
        reason, why = "ambiguous", "a reference names another payer's invoice"
    elif _ambiguous(cash, payer, config):
        reason, why = "ambiguous", "several open items or combinations fit the amount"
    else:
        reason, why = "no_match", "no rule matched"
    return Decision(rule=None, confidence=ZERO, allocations=(), unapplied=cash.amount, reason=reason,
                    explanation=why, candidates=candidates)


def _decide_in(cash: Cash, pool: list[Item], *, config: Config, group_rule: bool,
               by_amount: bool) -> Decision | None:
    """A decision from ``pool`` or None. ``by_amount`` is off when a reference names an invoice outside
    the payer and its group: the payer then may be paying someone else's invoice, so amounts prove nothing."""
    by_ref = {normalise_reference(i.invoice_number): i for i in pool}
    referenced = [(line, by_ref[normalise_reference(line.reference)]) for line in cash.lines
                  if normalise_reference(line.reference) in by_ref]
    if referenced:
        named = {item.invoice_id for _, item in referenced}
        exact = any(line.amount in (None, item.open_amount) and cash.amount == item.open_amount
                    for line, item in referenced)
        if not exact and any(i.open_amount == cash.amount and i.invoice_id not in named for i in pool):
            return None  # the reference's amount differs while another open item has it: a typo? Not guessing.
        return _by_reference(cash, referenced, config=config, group_rule=group_rule)
    if not by_amount:
        return None
    same = [i for i in pool if i.open_amount == cash.amount]
    if len(same) == 1:
        rule = "customer_group" if group_rule else "single_open_item"
        return _decision(cash, rule, Decimal("0.90") if not group_rule else Decimal("0.80"),
                         (Allocation(same[0].invoice_id, same[0].invoice_number, cash.amount),),
                         f"no usable reference; the only open item of {cash.amount} is {same[0].invoice_number}")
    if len(same) > 1:
        return None
    combos = find_combinations(pool, cash.amount, config=config)
    if combos is not None and len(combos) == 1:
        chosen = combos[0]
        return _decision(cash, "customer_group" if group_rule else "combination", Decimal("0.80"),
                         tuple(Allocation(i.invoice_id, i.invoice_number, i.open_amount) for i in chosen),
                         f"exactly one combination sums to {cash.amount}: "
                         + ", ".join(i.invoice_number for i in chosen))
    if combos is None or len(combos) > 1:
        return None  # an exact combination may exist: a tolerance match would be a guess
    close = [i for i in pool if abs(i.open_amount - cash.amount) <= tolerance(config, i.open_amount)]
    if len(close) == 1:
        item = close[0]
        applied = min(item.open_amount, cash.amount)
        return _decision(cash, "customer_group" if group_rule else "tolerance", Decimal("0.85"),
                         (Allocation(item.invoice_id, item.invoice_number, applied,
                                     write_off=item.open_amount - applied),),
                         f"only {item.invoice_number} is within tolerance of {cash.amount}")
    if len(close) > 1:
        return None
    return None


def _by_reference(cash: Cash, referenced: list[tuple[Line, Item]], *, config: Config,
                  group_rule: bool) -> Decision:
    allocations: list[Allocation] = []
    left = cash.amount
    rules: list[str] = []
    notes: list[str] = []
    seen: set[uuid.UUID] = set()
    single = len(cash.lines) == 1
    for line, item in referenced:
        if item.invoice_id in seen or left <= 0:
            continue
        seen.add(item.invoice_id)
        wanted = line.amount if line.amount is not None else (cash.amount if single else item.open_amount)
        paid = min(wanted, left)
        difference = item.open_amount - paid
        if difference <= 0:  # exact or overpaid: the excess stays unapplied
            allocations.append(Allocation(item.invoice_id, item.invoice_number, item.open_amount))
            rules.append("reference_and_amount")
            notes.append(f"{item.invoice_number}: reference and amount")
        elif difference <= tolerance(config, item.open_amount):
            allocations.append(Allocation(item.invoice_id, item.invoice_number, paid, write_off=difference))
            rules.append("tolerance")
            notes.append(f"{item.invoice_number}: short by {difference}, within tolerance")
        elif line.reason_code or difference <= item.open_amount * config.deduction_band_percent / 100:
            reason = classify_deduction(line.reason_code)
            allocations.append(Allocation(item.invoice_id, item.invoice_number, paid, deduction=difference,
                                          deduction_reason=reason))
            rules.append("reference_deduction")
            notes.append(f"{item.invoice_number}: short by {difference}, deduction ({reason})")
        else:
            allocations.append(Allocation(item.invoice_id, item.invoice_number, paid))
            rules.append("reference_partial")
            notes.append(f"{item.invoice_number}: partial payment, {difference} stays open")
        left -= min(paid, item.open_amount)
    order = ("reference_partial", "reference_deduction", "tolerance", "reference_and_amount")
    rule = "customer_group" if group_rule else next(r for r in order if r in rules)
    confidence = {"reference_and_amount": Decimal("1.0"), "tolerance": Decimal("0.95"),
                  "reference_deduction": Decimal("0.90"), "reference_partial": Decimal("0.90"),
                  "customer_group": Decimal("0.85")}[rule]
    return _decision(cash, rule, confidence, tuple(allocations), "; ".join(notes))


def _decision(cash: Cash, rule: str, confidence: Decimal, allocations: tuple[Allocation, ...],
              explanation: str) -> Decision:
    applied = sum((a.amount for a in allocations), ZERO)
    left = cash.amount - applied
    return Decision(rule=rule, confidence=confidence, allocations=allocations, unapplied=left,
                    reason="overpayment" if left > 0 else None, explanation=explanation)


DEDUCTION_CODES = {"pricing": "pricing", "price": "pricing", "shortage": "shortage", "short": "shortage",
                   "promo": "promo", "promotion": "promo", "tax": "tax", "vat": "tax", "freight": "freight",
                   "damaged": "damaged", "damage": "damaged", "unauthorized": "unauthorized"}


def classify_deduction(code: str | None) -> str:
    """A remittance reason code or text mapped to a deduction reason; ``unclassified`` when unknown."""
    text = (code or "").lower()
    return next((reason for word, reason in DEDUCTION_CODES.items() if word in text), "unclassified")


def find_combinations(items: Sequence[Item], target: Decimal, *, config: Config) -> list[list[Item]] | None:
    """Up to two combinations (2..max_size items) of the oldest ``max_items`` items summing to ``target``;
    None when the step budget ran out before the search finished (uniqueness not proven)."""
    pool = sorted(items, key=lambda i: (i.due_date, i.invoice_number))[: config.combination_max_items]
    pool = sorted((i for i in pool if 0 < i.open_amount <= target), key=lambda i: (-i.open_amount, i.invoice_number))
    cents = [int(i.open_amount * 100) for i in pool]
    goal = int(target * 100)
    suffix = [0] * (len(cents) + 1)
    for k in range(len(cents) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + cents[k]
    found: list[list[int]] = []
    steps = 0
    exhausted = False

    def search(start: int, remaining: int, chosen: list[int]) -> None:
        nonlocal steps, exhausted
        if len(found) >= 2 or exhausted:
            return
        for k in range(start, len(cents)):
            steps += 1
            if steps > config.combination_node_budget:
                exhausted = True
                return
            if suffix[k] < remaining:
                return  # the rest cannot reach the goal
            value = cents[k]
            if value > remaining:
                continue
            if value == remaining:
                if len(chosen) >= 1:
                    found.append([*chosen, k])
                    if len(found) >= 2:
                        return
                continue
            if len(chosen) + 1 < config.combination_max_size:
                search(k + 1, remaining - value, [*chosen, k])
                if len(found) >= 2 or exhausted:
                    return

    search(0, goal, [])
    if exhausted and len(found) < 2:
        return None
    return [[pool[k] for k in combo] for combo in found]


def _ambiguous(cash: Cash, pool: list[Item], config: Config) -> bool:
    if any(normalise_reference(li.reference) in {normalise_reference(i.invoice_number) for i in pool}
           for li in cash.lines):
        return True
    if sum(1 for i in pool if i.open_amount == cash.amount) > 1:
        return True
    combos = find_combinations(pool, cash.amount, config=config)
    return combos is None or len(combos) > 1


def score(cash: Cash, item: Item) -> Decimal:
    """0..1: how well ``item`` fits — reference similarity (0.5), amount closeness (0.35), same payer (0.15)."""
    refs = [normalise_reference(line.reference) for line in cash.lines if line.reference]
    number = normalise_reference(item.invoice_number)
    similarity = max((difflib.SequenceMatcher(None, r, number).ratio() for r in refs), default=0.0)
    base = max(item.open_amount, cash.amount)
    closeness = 1 - min(abs(item.open_amount - cash.amount) / base, Decimal(1)) if base > 0 else Decimal(0)
    payer = Decimal("0.15") if item.customer_id == cash.customer_id else ZERO
    value = Decimal(str(round(similarity, 4))) * Decimal("0.5") + closeness * Decimal("0.35") + payer
    return min(value, Decimal(1)).quantize(Decimal("0.0001"))


def _candidates(cash: Cash, items: list[Item], *, config: Config) -> tuple[Candidate, ...]:
    scored = sorted(((score(cash, i), i) for i in items), key=lambda p: (-p[0], p[1].invoice_number))
    return tuple(Candidate(i.invoice_id, i.invoice_number, i.open_amount, s)
                 for s, i in scored[: config.candidates] if s > 0)
