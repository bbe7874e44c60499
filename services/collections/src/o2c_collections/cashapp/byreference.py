"""Cash whose remittance names open items (by invoice or PO number): how much of each it settles, and what a
difference is — a bank fee within tolerance, an early-payment discount taken in its window, a deduction within the
band — or why the cash is left for a person (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from o2c_collections.cashapp.combinations import find_combinations
from o2c_collections.cashapp.decision import (
    CENT,
    ZERO,
    Allocation,
    Cash,
    Config,
    Decision,
    Item,
    decision,
    in_band,
    tolerance,
)
from o2c_collections.cashapp.reading import Named, Reading
from o2c_common.text import money, plain

#: the weakest rule of a decision names it
ORDER = ("reference_partial", "reference_deduction", "early_payment_discount", "tolerance", "po_number",
         "reference_and_amount")
CONFIDENCE = {"reference_and_amount": Decimal("1.0"), "po_number": Decimal("0.95"), "tolerance": Decimal("0.95"),
              "early_payment_discount": Decimal("0.95"), "reference_deduction": Decimal("0.90"),
              "reference_partial": Decimal("0.90"),
              "customer_group": Decimal("0.85")}

DEDUCTION_CODES = {"pricing": "pricing", "price": "pricing", "shortage": "shortage", "short": "shortage",
                   "promo": "promo", "promotion": "promo", "tax": "tax", "vat": "tax", "freight": "freight",
                   "damaged": "damaged", "damage": "damaged", "unauthorized": "unauthorized"}


def classify_deduction(code: str | None) -> str:
    """A remittance reason code or text mapped to a deduction reason; ``unclassified`` when unknown."""
    text = (code or "").lower()
    return next((reason for word, reason in DEDUCTION_CODES.items() if word in text), "unclassified")


@dataclass(frozen=True)
class Refused:
    """The remittance names open items but the cash cannot be applied without a guess: ``why``, for the worklist."""

    reason: str
    why: str


def by_reference(cash: Cash, reading: Reading, pool: list[Item], config: Config) -> Decision | Refused | None:
    """A decision from the items the remittance names by invoice number, else by PO number; None when it names
    none."""
    if reading.named:
        return _named(cash, reading.named, reading, pool, config, rule_hint="reference_and_amount")
    if reading.po:
        return _by_po(cash, reading, pool, config)
    return None


def _named(cash: Cash, named: list[Named], reading: Reading, pool: list[Item], config: Config, *,
           rule_hint: str) -> Decision | Refused:
    per_line = reading.named_per_line() if rule_hint != "po_number" else {n.position: 1 for n in named}
    amounts = [n.line.amount if per_line.get(n.position) == 1 else None for n in named]
    if len(named) > 1 and all(a is None for a in amounts):
        return _several(cash, named, config, rule_hint=rule_hint)
    ids = {n.item.invoice_id for n in named}
    exact = any(a in (None, n.item.open_amount) and cash.amount == n.item.open_amount
                for n, a in zip(named, amounts, strict=True))
    twin = next((i for i in pool if i.open_amount == cash.amount and i.invoice_id not in ids), None)
    if not exact and twin is not None:
        return Refused("ambiguous", f"the named invoice's amount differs from the payment, while "
                                    f"{twin.invoice_number} has exactly {money(cash.amount, cash.currency)}: a "
                                    "mistyped reference? Not guessing")
    allocations, rules, notes = [], [], []
    left = cash.amount
    for n, amount in zip(named, amounts, strict=True):
        if left <= 0:
            break
        wanted = amount if amount is not None else (cash.amount if len(named) == 1 else n.item.open_amount)
        paid = min(wanted, left)
        settled = settle(cash, n.item, paid, n.line.reason_code, config, rule_hint=rule_hint,
                         stated=amount is not None and amount == paid)
        if isinstance(settled, Refused):
            return settled
        allocation, rule, note = settled
        allocations.append(allocation)
        rules.append(rule)
        notes.append(note)
        left -= min(paid, n.item.open_amount)
    return _decided(cash, named, tuple(allocations), rules, notes)


def _decided(cash: Cash, named: list[Named], allocations: tuple[Allocation, ...], rules: list[str],
             notes: list[str]) -> Decision:
    group = any(n.item.customer_id != cash.customer_id for n in named
                if n.item.invoice_id in {a.invoice_id for a in allocations})
    rule = "customer_group" if group else next(r for r in ORDER if r in rules)
    return decision(cash, rule, CONFIDENCE[rule], allocations, "; ".join(notes))


def settle(cash: Cash, item: Item, paid: Decimal, reason_code: str | None, config: Config, *, rule_hint: str,
           stated: bool = False) -> tuple[Allocation, str, str] | Refused:
    """How ``paid`` settles ``item``: in full, within tolerance, with its discount, with a deduction, as a partial
    payment the remittance states (its line's amount, no reason claimed: the rest stays open), or refused."""
    number, difference = item.invoice_number, item.open_amount - paid
    short = money(difference, cash.currency)
    if difference <= 0:
        return Allocation(item.invoice_id, number, item.open_amount), rule_hint, f"{number}: named and paid in full"
    if difference <= tolerance(config, item.open_amount):
        return (Allocation(item.invoice_id, number, paid, write_off=difference), "tolerance",
                f"{number}: short by {short}, within the bank-fee tolerance")
    discounted = item.discounted()
    if discounted is not None and abs(paid - discounted) <= CENT:
        return _discount(cash, item, paid, config)
    if in_band(config, item, difference):
        reason = classify_deduction(reason_code)
        return (Allocation(item.invoice_id, number, paid, deduction=difference, deduction_reason=reason),
                "reference_deduction", f"{number}: short by {short}, within the deduction band: a deduction "
                                       f"({reason})")
    if stated and not reason_code:
        return (Allocation(item.invoice_id, number, paid), "reference_partial",
                f"{number}: a partial payment of {money(paid, cash.currency)} as the remittance states; {short} "
                "stays open")
    return Refused("no_match", f"{number}: short by {short}, outside the deduction band of "
                               f"{plain(config.deduction_band_percent)} %: left for a person")


def _discount(cash: Cash, item: Item, paid: Decimal, config: Config) -> tuple[Allocation, str, str] | Refused:
    number, difference = item.invoice_number, item.open_amount - paid
    short = money(difference, cash.currency)
    terms = f"{plain(item.discount_percent or ZERO)} % until {item.discount_until}"
    if cash.value_date is not None and item.discount_until is not None and cash.value_date <= item.discount_until:
        return (Allocation(item.invoice_id, number, paid, discount=difference), "early_payment_discount",
                f"{number}: early-payment discount of {short} taken on {cash.value_date} ({terms})")
    if in_band(config, item, difference):
        note = f"early-payment discount taken late ({terms})"
        allocation = Allocation(item.invoice_id, number, paid, deduction=difference, deduction_reason="unclassified",
                                note=note)
        return allocation, "reference_deduction", f"{number}: {note}, paid {cash.value_date}: deduction {short}"
    return Refused("no_match", f"{number}: discount taken late and outside the deduction band")


def _several(cash: Cash, named: list[Named], config: Config, *, rule_hint: str) -> Decision | Refused:
    """Several items named with no amount each: the payment must be their total, their total with every discount
    taken in its window, or exactly one subset of them."""
    items = [n.item for n in named]
    total = sum((i.open_amount for i in items), ZERO)
    listed, paid = ", ".join(i.invoice_number for i in items), money(cash.amount, cash.currency)
    if cash.amount >= total:
        return _decided(cash, named, tuple(Allocation(i.invoice_id, i.invoice_number, i.open_amount) for i in items),
                        [rule_hint], [f"{listed} named together and paid in full"])
    discounted = [i.discounted() for i in items]
    if all(d is not None for d in discounted) and abs(sum(d or ZERO for d in discounted) - cash.amount) <= CENT:
        settled = [_discount(cash, i, d or ZERO, config) for i, d in zip(items, discounted, strict=True)]
        parts = [s for s in settled if not isinstance(s, Refused) and s[1] == "early_payment_discount"]
        if len(parts) == len(settled):
            return _decided(cash, named, tuple(p[0] for p in parts), [p[1] for p in parts], [p[2] for p in parts])
    combos = find_combinations(items, cash.amount, config=config)
    if combos is not None and len(combos) == 1:
        chosen = {i.invoice_id for i in combos[0]}
        return _decided(cash, named, tuple(Allocation(i.invoice_id, i.invoice_number, i.open_amount) for i in items
                                           if i.invoice_id in chosen), [rule_hint],
                        [f"of {listed}, only {', '.join(i.invoice_number for i in combos[0])} sum to {paid}"])
    return Refused("ambiguous", f"{listed} are named and total {money(total, cash.currency)}; the payment of {paid} "
                                "is neither their total nor exactly one part of them")


def _by_po(cash: Cash, reading: Reading, pool: list[Item], config: Config) -> Decision | Refused:
    """Items named by PO number: one item of the PO (as if named by number), all of them, or the only one (or the
    only combination) of them the amount fits."""
    named = reading.po
    if len(named) == 1:
        return _named(cash, named, reading, pool, config, rule_hint="po_number")
    same = [n for n in named if n.item.open_amount == cash.amount]
    if len(same) == 1:
        return _named(cash, same, reading, pool, config, rule_hint="po_number")
    return _several(cash, named, config, rule_hint="po_number")
