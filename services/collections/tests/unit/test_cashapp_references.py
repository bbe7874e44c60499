"""Reading remittances (issue 18 item 1, 13.3): every field, invoice numbers in their usual variants, PO numbers,
discounts in and out of their window, the deduction band — and the readings that must not match (pure engine)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.cashapp.engine import Cash, Item, Line, decide
from o2c_collections.cashapp.references import extract, invoice_keys, learn_format


def item(number: str, amount: str, customer: str = "C1", po: str | None = None, discount: str | None = None,
         until: date | None = None) -> Item:
    return Item(uuid.uuid4(), number, customer, "USD", Decimal(amount), date(2026, 1, 31), po_number=po,
                discount_percent=Decimal(discount) if discount else None, discount_until=until)


def cash(amount: str, *lines: Line, customer: str | None = "C1", paid: date = date(2026, 1, 5)) -> Cash:
    return Cash(Decimal(amount), "USD", customer, lines, value_date=paid)


def twins(number: str = "US01-2026-000123") -> tuple[Item, Item]:
    """The invoice and a same-amount twin of the same payer: only the reference can tell them apart."""
    return item(number, "500.00"), item("US01-2026-000999", "500.00")


def applied_to(decision: object) -> list[str]:
    return [a.invoice_number for a in decision.allocations]  # type: ignore[attr-defined]


def test_invoice_keys_are_the_number_as_written_and_with_zeros_dropped() -> None:
    assert invoice_keys("US01-2026-000123") == ("US012026000123", "US012026123")
    assert invoice_keys("INV-0") == ("INV0",)


def test_a_number_inside_free_text_tells_same_amount_twins_apart() -> None:
    meant, twin = twins()
    for text in ("PAYMENT FOR INV US01-2026-000123", "inv#US012026123", "US01-2026-123", "US01-2026-000123/2026",
                 "Re: invoice no. US012026000123, thank you"):
        d = decide(cash("500.00", Line(text)), payer_items=[meant, twin])
        assert applied_to(d) == ["US01-2026-000123"] and d.rule == "reference_and_amount", text
        assert any(e.outcome == "named" and e.invoice_number == meant.invoice_number for e in d.evidence)
    # without the number the twins stay unapplied, both offered
    d = decide(cash("500.00", Line("PAYMENT THANK YOU")), payer_items=[meant, twin])
    assert d.rule is None and d.reason == "ambiguous" and len(d.candidates) == 2


def test_several_numbers_in_one_line_with_the_shorthand() -> None:
    a, b, c = item("US01-2026-000123", "100.00"), item("US01-2026-000124", "200.00"), item("US01-2026-000125", "50.00")
    other = item("US01-2026-000126", "350.00")
    d = decide(cash("350.00", Line("INVOICES US01-2026-000123 124 125")), payer_items=[a, b, c, other])
    assert applied_to(d) == ["US01-2026-000123", "US01-2026-000124", "US01-2026-000125"] and d.unapplied == 0
    shorthand = [e for e in d.evidence if e.rule == "invoice_number:shorthand"]
    assert [e.text for e in shorthand] == ["124", "125"]


def test_free_text_of_a_bank_file_is_read_beside_its_tokens() -> None:
    a, b = item("US01-2026-000123", "100.00"), item("US01-2026-000124", "100.00")
    line = Line("US01-2026-000123", text="INVOICES US01-2026-000123 AND 124")
    d = decide(cash("200.00", line), payer_items=[a, b])
    assert applied_to(d) == ["US01-2026-000123", "US01-2026-000124"]
    assert {e.field for e in d.evidence} >= {"remittance[0].reference", "remittance[0].text"}


def test_several_named_invoices_that_the_amount_does_not_fit_stay_unapplied() -> None:
    a, b = item("US01-2026-000123", "100.00"), item("US01-2026-000124", "200.00")
    d = decide(cash("170.00", Line("US01-2026-000123 124")), payer_items=[a, b])
    assert d.rule is None and d.reason == "ambiguous" and {c.invoice_number for c in d.candidates} == {
        "US01-2026-000123", "US01-2026-000124"}


def test_a_reference_naming_another_payers_invoice_stops_the_match_even_in_free_text() -> None:
    mine, twin = twins()
    theirs = item("US01-2026-000777", "500.00", customer="C2")
    d = decide(cash("500.00", Line("PAID US01-2026-000123 AND US01-2026-000777")), payer_items=[mine, twin],
               referenced_items=[theirs])
    assert d.rule is None and not d.allocations and "another payer" in d.explanation
    assert any(e.outcome == "rejected" and e.invoice_number == "US01-2026-000777" for e in d.evidence)


def test_words_and_amounts_in_free_text_name_nothing() -> None:
    a, b = item("10250", "102.50"), item("10251", "102.50")
    d = decide(cash("102.50", Line("PAYMENT 102.50 USD 2026")), payer_items=[a, b])
    assert d.rule is None  # "102.50" is an amount, not invoice 10250
    assert not [e for e in d.evidence if e.outcome == "named"]


def test_po_number_names_the_open_item_and_the_amount_picks_among_a_pos_items() -> None:
    meant = item("US01-2026-000200", "700.00", po="PO-4500012345")
    twin = item("US01-2026-000201", "700.00", po="PO-4500099999")
    d = decide(cash("700.00", Line("our order 4500012345")), payer_items=[meant, twin])
    assert applied_to(d) == ["US01-2026-000200"] and d.rule == "po_number"
    first, second = item("US01-2026-000210", "300.00", po="PO-77"), item("US01-2026-000211", "450.00", po="PO-77")
    assert applied_to(decide(cash("450.00", Line("PO-77")), payer_items=[first, second, twin])) == [
        "US01-2026-000211"]
    both = decide(cash("750.00", Line("PO-77")), payer_items=[first, second, twin])
    assert applied_to(both) == ["US01-2026-000210", "US01-2026-000211"]
    unclear = decide(cash("100.00", Line("PO-77")), payer_items=[first, second])
    assert unclear.rule is None and not unclear.allocations


def test_early_payment_discount_in_its_window_and_a_deduction_after_it() -> None:
    terms = {"discount": "2", "until": date(2026, 1, 11)}  # 2/10 net 30, issued 2026-01-01
    meant, twin = item("US01-2026-000300", "1000.00", **terms), item("US01-2026-000301", "1000.00", **terms)
    on_time = decide(cash("980.00", Line("US01-2026-000300"), paid=date(2026, 1, 11)), payer_items=[meant, twin])
    assert on_time.rule == "early_payment_discount" and on_time.allocations[0].discount == Decimal("20.00")
    assert on_time.allocations[0].deduction == 0
    late = decide(cash("980.00", Line("US01-2026-000300"), paid=date(2026, 1, 12)), payer_items=[meant, twin])
    assert late.rule == "reference_deduction" and late.allocations[0].deduction == Decimal("20.00")
    assert late.allocations[0].discount == 0 and "late" in (late.allocations[0].note or "")
    alone = decide(cash("980.00", paid=date(2026, 1, 10)), payer_items=[meant, item("X-1", "50.00")])
    assert alone.rule == "early_payment_discount"  # no reference: the only item discounted to the amount


def test_a_discount_is_worked_out_in_the_currencys_minor_units() -> None:
    """2 % off ¥12,345 is ¥12,098 (12,098.10 has no yen to pay it in): paid on time, the discount is taken."""
    yen = Item(uuid.uuid4(), "JP01-2026-000001", "C1", "JPY", Decimal(12345), date(2026, 1, 31),
               discount_percent=Decimal(2), discount_until=date(2026, 1, 11))
    assert yen.discounted() == Decimal(12098)
    paid = decide(Cash(Decimal(12098), "JPY", "C1", (Line("JP01-2026-000001"),), value_date=date(2026, 1, 10)),
                  payer_items=[yen])
    assert paid.rule == "early_payment_discount" and paid.allocations[0].discount == Decimal(247)
    assert paid.allocations[0].deduction == 0


def test_deduction_band_13_3_outside_the_band_the_cash_stays_unapplied() -> None:
    a = item("US01-2026-000400", "1000.00")
    assert decide(cash("900.00", Line("US01-2026-000400")), payer_items=[a]).allocations[0].deduction == 100
    for short in ("899.99", "1.00"):
        d = decide(cash(short, Line("US01-2026-000400", Decimal(short), "pricing")), payer_items=[a])
        assert d.rule is None and not d.allocations and d.unapplied == Decimal(short), short
    for line in (Line("US01-2026-000400"), Line("PAID US01-2026-000400 IN PART")):  # a short payment, no amount
        assert decide(cash("400.00", line), payer_items=[a]).rule is None
    stated = decide(cash("400.00", Line("US01-2026-000400", Decimal("400.00"))), payer_items=[a])
    assert stated.rule == "reference_partial" and stated.allocations[0].deduction == 0  # the payer says: 400 of it


def test_learned_formats_read_the_payers_own_references() -> None:
    fmt = learn_format("ACME/123/26", "US01-2026-000123", format_id="f1")
    assert fmt is not None and fmt.read("ACME/124/26") == "US01-2026-000124"
    assert learn_format("123", "US01-2026-000123") is None  # digits only: too weak
    assert learn_format("US01-2026-000123", "US01-2026-000123") is None  # the number itself: nothing to learn
    meant, twin = twins("US01-2026-000124")
    d = decide(cash("500.00", Line("ACME/124/26")), payer_items=[meant, twin], formats=[fmt])
    assert applied_to(d) == ["US01-2026-000124"] and any(e.rule == "invoice_number:learned:f1" for e in d.evidence)
    # the same format never names an invoice outside the payer and its group
    theirs = item("US01-2026-000125", "500.00", customer="C2")
    refused = decide(cash("500.00", Line("ACME/125/26")), payer_items=[meant, twin], referenced_items=[theirs],
                     formats=[fmt])
    assert refused.rule is None and not refused.allocations


def test_extract_reports_how_each_key_was_read() -> None:
    hows = {r.key: r.how for r in extract("INV US01-2026-000123/2026 124", field="f")}
    assert hows["US012026123"] == "suffix_dropped" and hows["US012026124"] == "shorthand"


def test_a_payers_ambiguous_amount_is_never_settled_by_its_group() -> None:
    mine, twin = item("US01-2026-000600", "300.00"), item("US01-2026-000601", "300.00")
    sibling_a, sibling_b = item("US01-2026-000700", "100.00", "C2"), item("US01-2026-000701", "200.00", "C2")
    d = decide(cash("300.00", Line("PAYMENT THANK YOU")), payer_items=[mine, twin], group_items=[sibling_a, sibling_b])
    assert d.rule is None and d.reason == "ambiguous"  # before: customer_group on the siblings' combination
    combo = decide(cash("300.00"), payer_items=[item("X-1", "999.00")], group_items=[sibling_a, sibling_b])
    assert combo.rule is None  # no combinations across a whole group
    single = decide(cash("200.00"), payer_items=[item("X-1", "999.00")], group_items=[sibling_a, sibling_b])
    assert single.rule == "customer_group" and applied_to(single) == ["US01-2026-000701"]
