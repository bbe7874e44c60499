"""What cash application reads from the open items before the engine decides (``cashapp.service.choose``): the
payer's own invoice that has nothing left to receive names nothing, whether paid or wholly under dispute; another
payer's invoice stops the match (pure: no I/O)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.cashapp.engine import Cash, Config, Line
from o2c_collections.cashapp.references import invoice_keys
from o2c_collections.cashapp.service import choose, match_keys
from o2c_collections.receivables.models import OpenItem, OpenItemStatus


def open_item(number: str, amount: str, *, customer: str = "C1", disputed: str = "0",
              status: OpenItemStatus = OpenItemStatus.OPEN) -> OpenItem:
    return OpenItem(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id=customer,
                    currency="USD", original_amount=Decimal(amount), open_amount=Decimal(amount),
                    disputed_amount=Decimal(disputed), issue_date=date(2026, 1, 1), due_date=date(2026, 1, 31),
                    status=status, match_keys=list(invoice_keys(number)))


def decide(rows: list[OpenItem], reference: str, amount: str) -> tuple[list[str], str]:
    cash = Cash(Decimal(amount), "USD", "C1", (Line(reference),))
    decision = choose(cash, rows, group_ids=[], keys=match_keys(cash, []), formats=[], config=Config(), alias_note=None,
                      payer_name=None)
    numbers = {i.invoice_id: i.invoice_number for i in rows}
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
