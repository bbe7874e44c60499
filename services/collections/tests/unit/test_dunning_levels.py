"""The next dunning level of a customer (pure): never skipped, spaced, final, and a new cycle once the invoices of
the last statement are no longer overdue."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.dunning.models import DunningPolicy, DunningStatement, StatementStatus
from o2c_collections.dunning.statements import Line, next_slot
from o2c_collections.receivables.models import OpenItem

POLICY = DunningPolicy(id="standard", segment="standard", version=1, levels=[
    {"level": n, "days_past_due": days, "channel": "email", "template": f"t{n}", "min_amount": "50"}
    for n, days in ((1, 1), (2, 15), (3, 30))])
AS_OF = date(2026, 3, 1)


def lines(days: int, amount: str = "100") -> list[Line]:
    item = OpenItem(invoice_id=uuid.uuid4(), invoice_number="INV-1", customer_id="C", currency="USD")
    return [Line(item, Decimal(amount), days)]


def sent(level: int, *, on: date, cycle: int = 1) -> DunningStatement:
    return DunningStatement(cycle=cycle, level=level, as_of=on, status=StatementStatus.SENT)


def slot(days: int, last: DunningStatement | None = None, *, still: bool = True, amount: str = "100") -> object:
    found = next_slot(POLICY, lines=lines(days, amount), last=last, still_overdue=still, as_of=AS_OF,
                      min_days_between=7)
    return (found.cycle, found.level["level"]) if found else None


def test_the_first_statement_is_level_one_however_late() -> None:
    assert slot(40) == (1, 1)
    assert slot(0) is None  # not late enough for level 1
    assert slot(40, amount="20") is None  # under the level's minimum


def test_the_next_level_follows_the_last_sent_once_due_and_spaced() -> None:
    assert slot(40, sent(1, on=date(2026, 2, 1))) == (1, 2)
    assert slot(40, sent(1, on=date(2026, 2, 25))) is None  # 4 days after level 1
    assert slot(10, sent(1, on=date(2026, 2, 1))) is None  # level 2 needs 15 days past due
    assert slot(90, sent(3, on=date(2026, 1, 1))) is None  # the final level was sent


def test_a_new_cycle_starts_at_level_one_when_the_dunned_invoices_are_settled() -> None:
    assert slot(5, sent(3, on=date(2026, 1, 1), cycle=2), still=False) == (3, 1)
