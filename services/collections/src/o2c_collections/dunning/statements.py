"""What a customer's next dunning statement is: the overdue invoices of one currency (held amounts left out), the
next level of the current cycle once it is due (never skipping one), and the text in the account's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from o2c_collections.accounts.models import Account
from o2c_collections.dunning.models import DunningPolicy, DunningStatement, DunningTemplate
from o2c_collections.receivables.models import OpenItem
from o2c_common.text import money


@dataclass(frozen=True)
class Line:
    item: OpenItem
    amount: Decimal
    days: int


@dataclass(frozen=True)
class Slot:
    """The statement a customer is due: its cycle and level, and the policy's level definition."""

    cycle: int
    level: dict[str, Any]


def next_slot(policy: DunningPolicy, *, lines: list[Line], last: DunningStatement | None, still_overdue: bool,
              as_of: date, min_days_between: int) -> Slot | None:
    """The next level after the last sent one of the current cycle (a new cycle, from level 1, when none of the
    invoices of the last statement is still overdue), if the oldest invoice is late enough, the total reaches the
    level's minimum and the last statement is old enough; None when nothing is due."""
    cycle, level_no = 1, 1
    if last is not None:
        if still_overdue:
            cycle, level_no = last.cycle, last.level + 1
            if (as_of - last.as_of).days < min_days_between:  # the run dates, not the clock: runs as of a date
                return None
        else:
            cycle = last.cycle + 1
    level = next((lv for lv in policy.levels if lv["level"] == level_no), None)
    total = sum((line.amount for line in lines), Decimal(0))
    oldest = max((line.days for line in lines), default=0)
    if level is None or oldest < level["days_past_due"] or total < Decimal(str(level["min_amount"])):
        return None
    return Slot(cycle, level)


def languages(account: Account | None) -> list[str]:
    """The languages to look a template up in, best first: the account's, its base language, English."""
    wanted = (account.language if account else None) or "en"
    return list(dict.fromkeys([wanted, wanted.split("-")[0], "en"]))


def recipients(account: Account | None) -> tuple[list[str], list[str]]:
    """(To, Cc) from the account's dunning contacts (its e-mail address when it has no contact)."""
    contacts = list(account.dunning_contacts or []) if account else []
    to = [c["email"] for c in contacts if c.get("role", "dunning") == "dunning"]
    cc = [c["email"] for c in contacts if c.get("role") == "dunning_copy"]
    if not to and account is not None and account.email:
        to = [account.email]
    return to, cc


def render(template: DunningTemplate, *, account: Account | None, customer_id: str, currency: str,
           lines: list[Line], level: int, as_of: date, sender: str) -> tuple[str, str]:
    """(subject, body): the template's ``str.format`` fields filled; amounts as ``1,250.00 USD``."""
    total = money(sum((line.amount for line in lines), Decimal(0)), currency)
    items = "\n".join(f"  {line.item.invoice_number:<20} {line.item.due_date.isoformat()}  {line.days:>4} d  "
                      f"{money(line.amount, currency):>20}" for line in lines)
    fields = {"customer_name": (account.name if account and account.name else customer_id),
              "customer_id": customer_id, "level": level, "total_due": total, "items": items,
              "as_of": as_of.isoformat(), "sender": sender, "currency": currency}
    return template.subject.format(**fields), template.body.format(**fields)
