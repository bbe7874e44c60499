"""The cash application engine: pure, deterministic and explainable (no I/O, no clock).

The remittance is read first (:mod:`reading`, :mod:`references`): every field — a structured line's reference, the
free text it came from — gives the invoice and PO numbers it may name, in their usual variants (inside a sentence,
several in one line, zeros dropped, a suffix added, the payer's learned formats). Then, the first rule that decides
wins; everything else stays unapplied with scored candidates and the evidence of every reading:

1. a reference names an invoice of the payer or its group (:mod:`byreference`): ``reference_and_amount`` when the
   amount settles it; ``tolerance`` when short within the bank-fee/FX tolerance (closed in full);
   ``early_payment_discount`` when the payment is the amount less the discount of its terms, paid within the
   window; ``reference_deduction`` when short within the deduction band (with or without a reason code; a discount
   taken late is one too); ``reference_partial`` when the line states the amount paid for the invoice and claims
   no reason (the rest stays open); any other shortfall outside the band leaves the cash unapplied (issue 13.3);
   several invoices named together: their total, their discounted total, or exactly one subset of them;
2. ``po_number`` — no invoice named, a PO number of the payer's open items is: one item, the one whose amount
   fits, all of them, or exactly one subset of them;
3. ``single_open_item`` — no usable reference, and exactly one open item of the payer has that amount;
4. ``combination`` — exactly one combination of the payer's open items sums to the amount (bounded search:
   :mod:`combinations`); then, without a reference, ``tolerance`` or ``early_payment_discount`` — exactly one open
   item within the tolerance of the amount or discounted to it in its window (tried after combinations: when an
   exact combination may exist, a near single item would be a guess);
5. over the payer's customer group (parent and children) → ``customer_group``: a reference as in rules 1-2; without
   one, only the one item of the group with exactly the amount, and only when the payer's own items do not fit it
   ambiguously (no combinations across a group: among that many items a coincidence is a guess).

A reference naming another payer's invoice, or the payer's own in another currency, stops the match; so do two
open items with the same amount, two combinations with the same sum, a reference whose amount differs while
another item has it: the engine does not choose, it leaves the cash unapplied with candidates.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from decimal import Decimal

from o2c_collections.cashapp.byreference import Refused, by_reference, classify_deduction
from o2c_collections.cashapp.combinations import find_combinations
from o2c_collections.cashapp.decision import (
    ZERO,
    Allocation,
    Candidate,
    Cash,
    Config,
    Decision,
    Evidence,
    Item,
    Line,
    decision,
    tolerance,
)
from o2c_collections.cashapp.reading import Reading, po_keys, read
from o2c_collections.cashapp.references import Format, invoice_keys, normalise
from o2c_common.text import money

__all__ = ["Allocation", "Candidate", "Cash", "Config", "Decision", "Evidence", "Format", "Item", "Line",
           "classify_deduction", "decide", "find_combinations", "normalise_reference", "tolerance"]


def normalise_reference(reference: str | None) -> str:
    """``' inv-2026/00042 '`` → ``INV202600042``: case, spaces and punctuation do not matter."""
    return normalise(reference)


def decide(cash: Cash, *, payer_items: Sequence[Item], group_items: Sequence[Item] = (),
           referenced_items: Sequence[Item] = (), config: Config = Config(),
           formats: Sequence[Format] = ()) -> Decision:
    """What to do with ``cash``. ``payer_items``: the payer's open items in the payment currency;
    ``group_items``: those of the payer's customer group; ``referenced_items``: items whose number a remittance
    key names, whoever owns them; ``formats``: the payer's learned reference formats."""
    payer = [i for i in payer_items if i.currency == cash.currency and i.open_amount > 0]
    known = {i.invoice_id for i in payer}
    group = [i for i in group_items if i.currency == cash.currency and i.open_amount > 0 and i.invoice_id not in known]
    pool = [*payer, *group]
    reading = read(cash, pool, referenced_items, formats)
    evidence = tuple(reading.evidence)
    if cash.customer_id is None:
        return _unapplied(cash, reading, [*pool, *referenced_items], config, "unidentified_payer",
                          "the payer is unknown")
    if reading.foreign:
        return _unapplied(cash, reading, [*pool, *(n.item for n in reading.foreign)], config, "ambiguous",
                          _foreign(cash, reading))
    outcome = by_reference(cash, reading, pool, config)
    if isinstance(outcome, Refused):
        return _unapplied(cash, reading, pool, config, outcome.reason, outcome.why)
    if outcome is not None:
        return _with(cash, outcome, evidence)
    found = _by_amount(cash, payer, config=config, group_rule=False) if payer else None
    if found is None and group and not (payer and _ambiguous(cash, payer, config)):
        found = _by_group_amount(cash, group)  # the payer's own items fitting ambiguously stop it: never guess
    if found is not None:
        return _with(cash, found, evidence)
    if _ambiguous(cash, payer, config):
        return _unapplied(cash, reading, pool, config, "ambiguous", "several open items or combinations fit the "
                                                                      "amount")
    return _unapplied(cash, reading, pool, config, "no_match", "no rule matched")


def _foreign(cash: Cash, reading: Reading) -> str:
    """What the named invoices the cash cannot go to are: another payer's, or the payer's own in another currency."""
    theirs = [n.item.invoice_number for n in reading.foreign if n.item.customer_id != cash.customer_id]
    own = [f"{n.item.invoice_number} in {n.item.currency}" for n in reading.foreign
           if n.item.customer_id == cash.customer_id]
    named = ([f"another payer's invoice ({', '.join(theirs)})"] if theirs else []) + (
        [f"the payer's own invoice in another currency ({', '.join(own)})"] if own else [])
    return f"a reference names {' and '.join(named)}"


def _with(cash: Cash, found: Decision, evidence: tuple[Evidence, ...]) -> Decision:
    applied = tuple(Evidence("amount", money(a.amount, cash.currency), found.rule or "", a.invoice_number,
                             "applied", found.explanation) for a in found.allocations)
    return Decision(found.rule, found.confidence, found.allocations, found.unapplied, found.reason,
                    found.explanation, found.candidates, (*evidence, *applied))


def _unapplied(cash: Cash, reading: Reading, items: Sequence[Item], config: Config, reason: str,
               why: str) -> Decision:
    unique = list({i.invoice_id: i for i in items}.values())
    return Decision(rule=None, confidence=ZERO, allocations=(), unapplied=cash.amount, reason=reason,
                    explanation=why, candidates=_candidates(cash, reading, unique, config=config),
                    evidence=tuple(reading.evidence))


def _by_amount(cash: Cash, pool: list[Item], *, config: Config, group_rule: bool) -> Decision | None:
    """No reference decides: the amount alone, when it proves one answer."""
    same = [i for i in pool if i.open_amount == cash.amount]
    if len(same) == 1:
        rule = "customer_group" if group_rule else "single_open_item"
        return decision(cash, rule, Decimal("0.90") if not group_rule else Decimal("0.80"),
                        (Allocation(same[0].invoice_id, same[0].invoice_number, cash.amount),),
                        f"no usable reference; the only open item of {money(cash.amount, cash.currency)} is "
                        f"{same[0].invoice_number}")
    if len(same) > 1:
        return None
    combos = find_combinations(pool, cash.amount, config=config)
    if combos is not None and len(combos) == 1:
        chosen = combos[0]
        return decision(cash, "customer_group" if group_rule else "combination", Decimal("0.80"),
                        tuple(Allocation(i.invoice_id, i.invoice_number, i.open_amount) for i in chosen),
                        f"exactly one combination sums to {money(cash.amount, cash.currency)}: "
                        + ", ".join(i.invoice_number for i in chosen))
    if combos is None or len(combos) > 1:
        return None  # an exact combination may exist: a tolerance match would be a guess
    return _near(cash, pool, config=config, group_rule=group_rule)


def _by_group_amount(cash: Cash, group: list[Item]) -> Decision | None:
    """No reference, nothing of the payer's own fits: exactly one item of the group has the amount. Combinations
    and near amounts across a whole group are not tried — among that many items a coincidence is a guess."""
    same = [i for i in group if i.open_amount == cash.amount]
    if len(same) != 1:
        return None
    return decision(cash, "customer_group", Decimal("0.80"), (Allocation(same[0].invoice_id, same[0].invoice_number,
                                                                         cash.amount),),
                    f"no usable reference; the only open item of {money(cash.amount, cash.currency)} in the payer's "
                    f"group is {same[0].invoice_number} (customer {same[0].customer_id})")


def _near(cash: Cash, pool: list[Item], *, config: Config, group_rule: bool) -> Decision | None:
    """Exactly one item within tolerance of the amount, or discounted to it within its window."""
    close = [i for i in pool if abs(i.open_amount - cash.amount) <= tolerance(config, i.open_amount)]
    discounted = [i for i in pool if i.discounted() == cash.amount and cash.value_date is not None
                  and i.discount_until is not None and cash.value_date <= i.discount_until]
    if len(close) + len(discounted) != 1:
        return None
    if discounted:
        item = discounted[0]
        return decision(cash, "customer_group" if group_rule else "early_payment_discount", Decimal("0.85"),
                        (Allocation(item.invoice_id, item.invoice_number, cash.amount,
                                    discount=item.open_amount - cash.amount),),
                        f"no usable reference; only {item.invoice_number} less its early-payment discount is "
                        f"{money(cash.amount, cash.currency)}, paid within the window")
    item = close[0]
    applied = min(item.open_amount, cash.amount)
    return decision(cash, "customer_group" if group_rule else "tolerance", Decimal("0.85"),
                    (Allocation(item.invoice_id, item.invoice_number, applied, write_off=item.open_amount - applied),),
                    f"only {item.invoice_number} is within tolerance of {money(cash.amount, cash.currency)}")


def _ambiguous(cash: Cash, pool: list[Item], config: Config) -> bool:
    if sum(1 for i in pool if i.open_amount == cash.amount) > 1:
        return True
    combos = find_combinations(pool, cash.amount, config=config)
    return combos is None or len(combos) > 1


_REFERENCE_WEIGHT = Decimal("0.5")
_AMOUNT_WEIGHT = Decimal("0.35")
_PAYER = Decimal("0.15")
_SCORE_PLACES = Decimal("0.0001")


def score(cash: Cash, item: Item, keys: set[str] | frozenset[str] = frozenset()) -> Decimal:
    """0..1: how well ``item`` fits — reference (0.5: 1 when a remittance key names its invoice or PO number, else
    the similarity of the closest reference), amount closeness (0.35), same payer (0.15)."""
    return _total(_similarity(item, keys, _references(cash)), _fit(cash, item))


def _similarity(item: Item, keys: set[str] | frozenset[str], refs: Sequence[str]) -> float:
    if not keys.isdisjoint(invoice_keys(item.invoice_number)) or not keys.isdisjoint(po_keys(item.po_number)):
        return 1.0
    number = normalise(item.invoice_number)
    return max((difflib.SequenceMatcher(None, r, number).ratio() for r in refs), default=0.0)


def _fit(cash: Cash, item: Item) -> Decimal:
    """The score's amount closeness and same-payer parts."""
    base = max(item.open_amount, cash.amount)
    closeness = 1 - min(abs(item.open_amount - cash.amount) / base, Decimal(1)) if base > 0 else Decimal(0)
    return closeness * _AMOUNT_WEIGHT + (_PAYER if item.customer_id == cash.customer_id else ZERO)


def _total(similarity: float, fit: Decimal) -> Decimal:
    value = Decimal(str(round(similarity, 4))) * _REFERENCE_WEIGHT + fit
    return min(value, Decimal(1)).quantize(_SCORE_PLACES)


def _references(cash: Cash) -> list[str]:
    return [normalise(line.reference) for line in cash.lines if line.reference]


def _candidates(cash: Cash, reading: Reading, items: list[Item], *, config: Config) -> tuple[Candidate, ...]:
    """The ``config.candidates`` best scores (ties by invoice number, then as given). A score is at most what a
    perfect reference would give, so the similarity (difflib: the costly part) is computed only for the items that
    could still rank: best first by that bound, until the last place is taken by a score above the next bound."""
    refs, wanted = _references(cash), config.candidates
    if wanted <= 0:
        return ()
    fits = [_fit(cash, i) for i in items]
    bounds = [_total(1.0, fit) for fit in fits]
    best: list[tuple[Decimal, str, int]] = []  # (score, invoice number, position in items), best first
    for n in sorted(range(len(items)), key=lambda n: (-bounds[n], items[n].invoice_number, n)):
        if len(best) >= wanted and best[wanted - 1][0] > bounds[n]:
            break
        best.append((_total(_similarity(items[n], reading.keys, refs), fits[n]), items[n].invoice_number, n))
        best.sort(key=lambda p: (-p[0], p[1], p[2]))
    return tuple(Candidate(items[n].invoice_id, items[n].invoice_number, items[n].open_amount, s)
                 for s, _, n in best[:wanted] if s > 0)
