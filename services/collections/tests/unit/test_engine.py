"""Each cash-application rule, and the cases the engine must leave unapplied (pure: no I/O)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from o2c_collections.cashapp.engine import (
    Cash,
    Config,
    Item,
    Line,
    _candidates,
    decide,
    find_combinations,
    normalise_reference,
    score,
)
from o2c_collections.cashapp.reading import Reading


def item(number: str, amount: str, customer: str = "C1", due: int = 1) -> Item:
    return Item(uuid.uuid4(), number, customer, "USD", Decimal(amount), date(2026, 1, due))


def cash(amount: str, *lines: Line, customer: str | None = "C1") -> Cash:
    return Cash(Decimal(amount), "USD", customer, lines)


def test_reference_and_amount() -> None:
    a, b = item("INV-1", "100.00"), item("INV-2", "100.00")
    d = decide(cash("100.00", Line("inv 1")), payer_items=[a, b])
    assert d.rule == "reference_and_amount" and d.confidence == Decimal("1.0")
    assert [x.invoice_id for x in d.allocations] == [a.invoice_id] and d.unapplied == 0


def test_reference_with_short_pay_in_band_is_a_deduction_and_outside_band_stays_unapplied() -> None:
    a = item("INV-1", "1000.00")
    d = decide(cash("950.00", Line("INV-1")), payer_items=[a])
    assert d.rule == "reference_deduction"
    assert d.allocations[0].amount == Decimal("950.00") and d.allocations[0].deduction == Decimal("50.00")
    partial = decide(cash("400.00", Line("INV-1")), payer_items=[a])  # issue 13.3: outside the band, a person decides
    assert partial.rule is None and partial.unapplied == Decimal("400.00") and "outside the deduction band" in \
        partial.explanation and partial.candidates[0].invoice_id == a.invoice_id


def test_remittance_reason_code_names_the_deduction_but_never_widens_the_band() -> None:
    a = item("INV-1", "1000.00")
    d = decide(cash("920.00", Line("INV-1", Decimal("920.00"), "PRICE DIFF")), payer_items=[a])
    assert d.rule == "reference_deduction" and d.allocations[0].deduction_reason == "pricing"
    wide = decide(cash("400.00", Line("INV-1", Decimal("400.00"), "PRICE DIFF")), payer_items=[a])
    assert wide.rule is None and not wide.allocations


def test_single_open_item_without_reference() -> None:
    a, b = item("INV-1", "120.00"), item("INV-2", "80.00")
    d = decide(cash("80.00", Line("IVN-2-typo")), payer_items=[a, b])
    assert d.rule == "single_open_item" and d.allocations[0].invoice_id == b.invoice_id


def test_two_items_with_the_amount_stay_unapplied_with_candidates() -> None:
    a, b = item("INV-1", "80.00"), item("INV-2", "80.00")
    d = decide(cash("80.00"), payer_items=[a, b])
    assert d.rule is None and d.reason == "ambiguous" and d.unapplied == Decimal("80.00")
    assert {c.invoice_id for c in d.candidates} == {a.invoice_id, b.invoice_id}


def test_combination_found_when_unique_and_refused_when_two_fit() -> None:
    a, b, c = item("INV-1", "100.00"), item("INV-2", "250.00"), item("INV-3", "75.50")
    d = decide(cash("175.50"), payer_items=[a, b, c])
    assert d.rule == "combination" and {x.invoice_id for x in d.allocations} == {a.invoice_id, c.invoice_id}
    e, f = item("INV-4", "60.00"), item("INV-5", "40.00")
    d2 = decide(cash("100.00"), payer_items=[b, e, f, item("INV-6", "30.00"), item("INV-7", "70.00")])
    assert d2.rule is None and d2.reason == "ambiguous"


def test_combination_search_is_bounded_and_unproven_means_unapplied() -> None:
    items = [item(f"INV-{n}", str(10 + n)) for n in range(30)]
    assert find_combinations(items, Decimal("200"), config=Config(combination_node_budget=10)) is None
    d = decide(cash("123.00"), payer_items=items, config=Config(combination_node_budget=10))
    assert d.rule is None


def test_tolerance_for_bank_fees() -> None:
    a, b = item("INV-1", "1000.00"), item("INV-2", "300.00")
    d = decide(cash("996.00"), payer_items=[a, b])
    assert d.rule == "tolerance" and d.allocations[0].write_off == Decimal("4.00")
    with_ref = decide(cash("997.50", Line("INV-1")), payer_items=[a, b])
    assert with_ref.rule == "tolerance" and with_ref.allocations[0].write_off == Decimal("2.50")
    assert decide(cash("990.00"), payer_items=[a, b], config=Config(tolerance_amount=Decimal(5))).rule is None


def test_customer_group_parent_pays_child_invoice() -> None:
    child = item("INV-9", "500.00", customer="CHILD")
    d = decide(cash("500.00", Line("INV-9"), customer="PARENT"), payer_items=[], group_items=[child])
    assert d.rule == "customer_group" and d.allocations[0].invoice_id == child.invoice_id


def test_other_payers_reference_is_never_applied() -> None:
    mine, theirs = item("INV-1", "100.00"), item("INV-2", "100.00", customer="C2")
    d = decide(cash("100.00", Line("INV-2")), payer_items=[mine], referenced_items=[theirs])
    assert d.rule is None and d.reason == "ambiguous"
    assert d.candidates[0].invoice_id in {mine.invoice_id, theirs.invoice_id}


def test_unknown_payer_and_no_match_stay_unapplied() -> None:
    assert decide(cash("10.00", customer=None), payer_items=[]).reason == "unidentified_payer"
    d = decide(cash("10.00"), payer_items=[item("INV-1", "999.00")])
    assert d.rule is None and d.reason == "no_match"


def test_overpayment_leaves_the_excess_unapplied_and_decisions_are_deterministic() -> None:
    a = item("INV-1", "100.00")
    d = decide(cash("130.00", Line("INV-1")), payer_items=[a])
    assert d.applied == Decimal("100.00") and d.unapplied == Decimal("30.00") and d.reason == "overpayment"
    assert d == decide(cash("130.00", Line("INV-1")), payer_items=[a])
    assert normalise_reference(" inv-2026/0042 ") == "INV20260042"


def test_a_reference_to_the_payers_other_invoice_with_the_wrong_amount_is_not_trusted() -> None:
    meant, named = item("INV-12", "80.00"), item("INV-13", "500.00")
    d = decide(cash("80.00", Line("INV-13")), payer_items=[meant, named])
    assert d.rule is None and d.reason == "ambiguous"


_numbers = st.sampled_from(["INV-1", "INV-10", "INV-12", "US01-2026-000123", "US01-2026-000132", "PO-77", "X-9"])
_amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("500.00"), places=2)


@settings(max_examples=300, deadline=None)
@given(pool=st.lists(st.tuples(_numbers, _amounts, st.sampled_from(["C1", "C2"])), max_size=12),
       amount=_amounts.filter(lambda a: a > 0), reference=st.one_of(st.none(), _numbers),
       keys=st.sets(st.sampled_from(["INV1", "INV10", "US012026123", "PO77"]), max_size=2),
       wanted=st.integers(min_value=0, max_value=4))
def test_candidates_are_the_best_scores_of_every_item(pool: list[tuple[str, Decimal, str]], amount: Decimal,
                                                      reference: str | None, keys: set[str], wanted: int) -> None:
    """The candidates skip the similarity of items that cannot rank; the answer is the one scoring every item
    gives (ties by invoice number, then as given)."""
    items = [Item(uuid.uuid4(), number, customer, "USD", value, date(2026, 1, 1)) for number, value, customer in pool]
    payment = cash(str(amount), *([Line(reference)] if reference else []))
    every = sorted(((score(payment, i, keys), i) for i in items), key=lambda p: (-p[0], p[1].invoice_number))
    expected = [(i.invoice_id, s) for s, i in every[:wanted] if s > 0]
    found = _candidates(payment, Reading(keys=set(keys)), items, config=Config(candidates=wanted))
    assert [(c.invoice_id, c.score) for c in found] == expected
