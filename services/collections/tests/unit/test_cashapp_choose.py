"""What cash application reads from the open items before the engine decides (``cashapp.service.choose``): the
payer's own invoice that has nothing left to receive names nothing, whether paid or wholly under dispute; another
payer's invoice stops the match, and so does the payer's own invoice in another currency, each said for what it is
(pure: no I/O)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.cashapp.engine import Cash, Config, Decision, Line
from o2c_collections.cashapp.references import invoice_keys
from o2c_collections.cashapp.service import choose, match_keys
from o2c_collections.receivables.models import OpenItem, OpenItemStatus


def open_item(number: str, amount: str, *, customer: str = "C1", disputed: str = "0", currency: str = "USD",
              status: OpenItemStatus = OpenItemStatus.OPEN) -> OpenItem:
    return OpenItem(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id=customer,
                    currency=currency, original_amount=Decimal(amount), open_amount=Decimal(amount),
                    disputed_amount=Decimal(disputed), issue_date=date(2026, 1, 1), due_date=date(2026, 1, 31),
                    status=status, match_keys=list(invoice_keys(number)))


def decision_on(rows: list[OpenItem], reference: str, amount: str) -> Decision:
    cash = Cash(Decimal(amount), "USD", "C1", (Line(reference),))
    return choose(cash, rows, group_ids=[], keys=match_keys(cash, []), formats=[], config=Config(), alias_note=None,
                  payer_name=None)


def decide(rows: list[OpenItem], reference: str, amount: str) -> tuple[list[str], str]:
    numbers = {i.invoice_id: i.invoice_number for i in rows}
    decision = decision_on(rows, reference, amount)
    return [numbers[a.invoice_id] for a in decision.allocations], decision.explanation


def test_the_payers_wholly_disputed_invoice_names_nothing_as_a_paid_one_would() -> None:
    meant = open_item("INV-00010534", "20869.87")
    disputed = open_item("INV-00010533", "500.00", disputed="500.00")  # a deduction open for all that is left
    paid = open_item("INV-00010533", "0.00", status=OpenItemStatus.CLOSED)

    applied, explanation = decide([meant, disputed], "INV-00010533", "20869.87")

    assert (applied, explanation) == decide([meant, paid], "INV-00010533", "20869.87")
    assert applied == ["INV-00010534"]
    assert "another payer" not in explanation


def test_another_payers_invoice_still_stops_the_match() -> None:
    meant = open_item("INV-00010534", "20869.87")
    theirs = open_item("INV-00010533", "500.00", customer="C2", disputed="500.00")

    applied, explanation = decide([meant, theirs], "INV-00010533", "20869.87")

    assert applied == []
    assert "another payer's invoice (INV-00010533)" in explanation


def test_the_payers_own_invoice_in_another_currency_stops_the_match_and_is_called_so() -> None:
    meant = open_item("INV-00010534", "20869.87")
    in_euro = open_item("INV-00010533", "500.00", currency="EUR")

    decision = decision_on([meant, in_euro], "INV-00010533", "20869.87")

    assert decision.allocations == () and decision.reason == "ambiguous"
    assert decision.explanation == ("a reference names the payer's own invoice in another currency "
                                    "(INV-00010533 in EUR)")
    rejected = [e.why for e in decision.evidence if e.outcome == "rejected" and e.invoice_number]
    assert rejected == ["the payer's own invoice in EUR, not the payment's currency: the payment is left for a person"]
    assert "another payer" not in decision.explanation + " ".join(rejected)


def test_both_kinds_named_at_once_are_both_said() -> None:
    in_euro = open_item("INV-00010533", "500.00", currency="EUR")
    theirs = open_item("INV-00010777", "500.00", customer="C2")

    _, explanation = decide([in_euro, theirs], "INV-00010533 INV-00010777", "500.00")

    assert explanation == ("a reference names another payer's invoice (INV-00010777) and the payer's own invoice "
                           "in another currency (INV-00010533 in EUR)")
