"""What the bank-file parsers give back: payments to book and the entries they did not book, each with its reason.

A file is read completely before anything is booked; any defect raises :class:`MalformedFile` naming the line
(``#/line/12``) or the element (``/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt``) where it is, so a malformed
file books nothing. Money is ``Decimal`` throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from o2c_collections.cashapp.engine import Line
from o2c_common.errors import ValidationFailed

INVOICE_TOKEN = re.compile(r"[A-Za-z]{0,6}[-/]?\d[\w/-]{3,}")


class MalformedFile(ValidationFailed):
    type = "malformed-payment-file"
    title = "Malformed payment file"

    def __init__(self, detail: str, *, where: str) -> None:
        super().__init__(detail, errors=[{"detail": detail, "pointer": where, "code": "malformed_file"}])
        self.where = where


@dataclass(frozen=True)
class ParsedPayment:
    """One incoming payment. ``amount`` is what reached the account, in the account's ``currency``;
    ``instructed_amount``/``instructed_currency`` are what the payer sent when that was another currency, and
    ``charges`` the bank charges reported for it (information: cash application works on ``amount``)."""

    bank_reference: str | None
    value_date: date
    currency: str
    amount: Decimal
    customer_id: str | None = None
    payer_name: str | None = None
    lines: tuple[Line, ...] = field(default_factory=tuple)
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None
    charges: Decimal | None = None
    where: str | None = None


#: debit | reversal | returned | pending | informational | not_booked | zero_amount | not_a_credit | interim |
#: test_or_deleted_group
SkipReason = str


@dataclass(frozen=True)
class Skipped:
    """An entry of the file that is not booked as a payment, and why. Listed, never dropped silently."""

    where: str
    reason: SkipReason
    detail: str
    amount: Decimal | None = None
    currency: str | None = None
    bank_reference: str | None = None


@dataclass(frozen=True)
class ParseResult:
    payments: list[ParsedPayment]
    skipped: list[Skipped] = field(default_factory=list)
    unreconciled: list[str] = field(default_factory=list)  # only when control totals were not enforced


def amount(raw: str | None, where: str) -> Decimal:
    """A positive decimal amount (``1234.56``); anything else is a problem at ``where``."""
    text = (raw or "").strip()
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise MalformedFile(f"{raw!r} is not a positive decimal amount", where=where)
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
        raise MalformedFile(f"{raw!r} is not an amount", where=where) from None
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise MalformedFile(f"{raw!r} has more than 6 decimals", where=where)
    return value


def iso_date(raw: str, where: str, fmt: str = "%Y-%m-%d") -> date:
    try:
        return datetime.strptime(raw.strip(), fmt).date()  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        raise MalformedFile(f"{raw!r} is not a date ({fmt})", where=where) from None


def currency(raw: str | None, where: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", (raw or "").strip()):
        raise MalformedFile(f"{raw!r} is not an ISO 4217 currency code", where=where)
    return (raw or "").strip()


def invoice_tokens(text: str) -> list[Line]:
    """Invoice-number-like tokens of free text, each as a remittance line without amount; the first carries the
    whole text (``Line.text``), which cash application reads too (several numbers in one line, PO numbers)."""
    seen: dict[str, None] = {}
    for token in INVOICE_TOKEN.findall(text):
        seen.setdefault(token)
    whole = " ".join(text.split())
    return [Line(t, text=whole if n == 0 and whole != t else None) for n, t in enumerate(seen)]
