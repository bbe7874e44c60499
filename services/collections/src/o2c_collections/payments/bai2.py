"""BAI2: the BAI Cash Management Balance Reporting Specifications, version 2 (the ``01`` header's version field
is ``2``).

Records: ``01`` file header, ``02`` group header (as-of date), ``03`` account identifier and summary/status
amounts, ``16`` transaction detail, ``88`` continuation (of any record, followed everywhere), ``49`` account
trailer, ``98`` group trailer, ``99`` file trailer. A record ends with ``/``; a newline also ends one (banks
omit the slash), several slash-ended records may share a physical line, and a ``16``'s text may wrap onto a
line of its own. Control totals are checked as the specification defines them: the ``49`` account control
total is the algebraic sum of every amount of the account's ``03`` record (status amounts signed) and of its
``16`` records (availability amounts excluded); ``98`` sums its ``49`` totals, ``99`` its ``98`` totals; record
counts include every physical record of their level, ``88`` continuations too. Amounts have the currency's
implied decimals (USD 2, JPY 0, KWD 3; ISO 4217 minor units); the ``02`` group currency (default USD) is the
default of its ``03`` accounts. Funds types ``0``, ``1``, ``2``, ``Z`` take no more fields; ``S`` takes three
availability amounts, ``V`` a value date and time, ``D`` a count and that many (days, amount) pairs.

Credits (detail type codes 100-399) become payments, except returns, reversals and rejected items
(:data:`RETURN_CODES`), which are listed as skipped like debits (400-699), other codes, and the details of
interim groups (as-of date modifier 1 or 3: the final report repeats them) or of deletion/test groups (status
2, 4). A credit's value date is its ``V`` value date when it has one, else the group's as-of date. The bank
reference is the ``16``'s bank reference, else ``BAI2:<sender>:<creation date+time>:<file id>:<n>`` (``n``: the
detail's position in the file), so two alike credits without a bank reference are never taken for one; the
customer reference is the payer id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from o2c_collections.payments.bai2_records import Fields, Record, hhmm, int_field, read_funds, split_records, yymmdd
from o2c_collections.payments.parsed import (
    MalformedFile,
    ParsedPayment,
    ParseResult,
    Skipped,
    currency,
    invoice_tokens,
)
from o2c_common.money import minor_units

#: Credit detail codes that give money back rather than receive a customer's payment (BAI2 Appendix A).
RETURN_CODES = frozenset({"123", "168", "172", "196", "252", "254", "255", "257", "258", "261", "266", "268", "395"})


@dataclass
class _Account:
    record: Record
    number: str
    currency: str
    total: int = 0
    records: int = 0


@dataclass
class _Group:
    record: Record
    as_of: date
    currency: str
    status: str
    modifier: str = ""
    total: int = 0  # sum of its accounts' control totals
    accounts: int = 0
    records: int = 0
    account: _Account | None = None


@dataclass
class _File:
    sender: str
    stamp: str
    file_id: str
    total: int = 0
    groups: int = 0
    records: int = 0
    details: int = 0
    group: _Group | None = None
    closed: bool = False
    check_totals: bool = True
    result: ParseResult = field(default_factory=lambda: ParseResult([]))

    def mismatch(self, detail: str, where: str) -> None:
        """A control total or count that does not reconcile: the file is refused, unless the caller asked to
        read a file whose trailers are known to be wrong, in which case it is listed in ``unreconciled``."""
        if self.check_totals:
            raise MalformedFile(detail, where=where)
        self.result.unreconciled.append(f"{where}: {detail}")


def _money(units: int, ccy: str) -> Decimal:
    return Decimal(units).scaleb(-minor_units(ccy))


def parse_bai2(text: str, *, check_totals: bool = True) -> ParseResult:
    """The file's credits and what it does not book. ``check_totals=False`` reads a file whose trailers do not
    reconcile (every other rule still applies) and lists each mismatch in ``unreconciled``; imports never do."""
    records = split_records(text)
    if not records:
        raise MalformedFile("the file holds no BAI2 record", where="#/line/1")
    first = records[0]
    if first.code != "01":
        raise MalformedFile("a BAI2 file starts with an 01 file header", where=f"#/line/{first.line}")
    f = _header(first)
    f.check_totals = check_totals
    f.records = first.physical
    for record in records[1:]:
        where = f"#/line/{record.line}"
        if f.closed:
            raise MalformedFile(f"a {record.code} record after the 99 file trailer", where=where)
        f.records += record.physical
        if f.group is not None:
            f.group.records += record.physical
            if f.group.account is not None:
                f.group.account.records += record.physical
        {"01": _second_header, "02": _group, "03": _account, "16": _detail, "49": _account_trailer,
         "98": _group_trailer, "99": _file_trailer}[record.code](f, record, where)
    if not f.closed:
        raise MalformedFile("the file ends without its 99 file trailer", where=f"#/line/{records[-1].line}")
    return f.result


def _header(record: Record) -> _File:
    fields = Fields(record)
    where = fields.where
    sender = fields.next("sender identification")
    fields.next("receiver identification")
    created = fields.next("file creation date")
    yymmdd(created, "file creation date", where)
    time = fields.next("file creation time")
    hhmm(time, "file creation time", where, lenient=True)
    file_id = fields.next("file identification number")
    fields.next("physical record length", required=False)
    fields.next("block size", required=False)
    version = fields.next("version number", required=False)
    if version != "2":
        raise MalformedFile(f"version number {version!r}: only BAI version 2 is read", where=where)
    return _File(sender=sender, stamp=created + time.replace(":", ""), file_id=file_id)


def _second_header(f: _File, record: Record, where: str) -> None:
    raise MalformedFile("a second 01 file header", where=where)


def _group(f: _File, record: Record, where: str) -> None:
    if f.group is not None:
        raise MalformedFile("an 02 group header before the previous group's 98 trailer", where=where)
    fields = Fields(record)
    fields.next("ultimate receiver identification", required=False)
    fields.next("originator identification", required=False)
    status = fields.next("group status", required=False) or "1"
    if status not in ("1", "2", "3", "4"):
        raise MalformedFile(f"group status {status!r} is not 1, 2, 3 or 4", where=where)
    as_of = yymmdd(fields.next("as-of date"), "as-of date", where)
    hhmm(fields.next("as-of time", required=False), "as-of time", where)
    raw_ccy = fields.next("currency code", required=False)
    modifier = fields.next("as-of date modifier", required=False)
    if modifier not in ("", "1", "2", "3", "4"):
        raise MalformedFile(f"as-of date modifier {modifier!r} is not 1, 2, 3 or 4", where=where)
    f.group = _Group(record, as_of, currency(raw_ccy, where) if raw_ccy else "USD", status, modifier,
                     records=record.physical)


def _account(f: _File, record: Record, where: str) -> None:
    group = f.group
    if group is None:
        raise MalformedFile("an 03 account record outside a group", where=where)
    if group.account is not None:
        raise MalformedFile("an 03 account record before the previous account's 49 trailer", where=where)
    fields = Fields(record)
    number = fields.next("customer account number")
    if not number:
        raise MalformedFile("the 03 record has no account number", where=where)
    raw_ccy = fields.next("currency code", required=False)
    account = _Account(record, number, currency(raw_ccy, where) if raw_ccy else group.currency,
                       records=record.physical)
    while fields.more():
        type_code = fields.next("type code")
        if not type_code and fields.at_segment_end():
            continue  # a stray comma before the record's end ("...,015,35217175,,,/"): no summary follows
        raw_amount = fields.next("amount", required=False)
        count = fields.next("item count", required=False)
        funds = fields.next("funds type", required=False)
        if not (type_code or raw_amount or count or funds):
            continue  # an empty summary slot (some banks write ",,,," before the first one)
        if not re.fullmatch(r"\d{3}", type_code):
            raise MalformedFile(f"type code {type_code!r} is not three digits", where=where)
        status = type_code < "100"
        account.total += int_field(raw_amount, f"amount of type {type_code}", where, signed=status, blank=0)
        int_field(count, f"item count of type {type_code}", where, blank=0)
        read_funds(fields, funds, where)
    group.account = account


def _detail(f: _File, record: Record, where: str) -> None:
    group = f.group
    account = group.account if group else None
    if group is None or account is None:
        raise MalformedFile("a 16 transaction detail outside an account (03 ... 49)", where=where)
    fields = Fields(record)
    type_code = fields.next("type code")
    if not re.fullmatch(r"\d{3}", type_code) or type_code < "100":
        raise MalformedFile(f"type code {type_code!r} is not a three-digit detail type code", where=where)
    units = int_field(fields.next("amount"), "amount", where)
    account.total += units
    availability = read_funds(fields, fields.next("funds type", required=False), where)
    bank_ref = fields.next("bank reference number", required=False)
    customer_ref = fields.next("customer reference number", required=False)
    text = fields.rest()
    f.details += 1
    money = _money(units, account.currency)
    reference = bank_ref or f"BAI2:{f.sender}:{f.stamp}:{f.file_id}:{f.details}"[:100]

    def skip(reason: str, detail: str) -> None:
        f.result.skipped.append(Skipped(where, reason, detail, money, account.currency, reference))

    code = int(type_code)
    if group.status in ("2", "4"):
        skip("test_or_deleted_group", f"group status {group.status} ({'deletion' if group.status == '2' else 'test'})")
    elif group.modifier in ("1", "3"):
        skip("interim", f"as-of date modifier {group.modifier}: interim data, booked from the final report")
    elif 400 <= code < 700:
        skip("debit", f"debit type code {type_code}")
    elif not 100 <= code < 400:
        skip("not_a_credit", f"type code {type_code} is neither a credit (100-399) nor a debit (400-699)")
    elif type_code in RETURN_CODES:
        skip("returned", f"type code {type_code} is a return, reversal or rejected item, not a customer payment")
    elif units == 0:
        skip("zero_amount", "a credit of zero")
    else:
        lines = invoice_tokens(" ".join(p for p in (customer_ref, text) if p))
        f.result.payments.append(ParsedPayment(
            bank_reference=reference, value_date=availability.value_date or group.as_of,
            currency=account.currency, amount=money,
            customer_id=customer_ref if customer_ref and len(customer_ref) <= 64 else None,
            lines=tuple(lines), where=where))


def _account_trailer(f: _File, record: Record, where: str) -> None:
    group = f.group
    account = group.account if group else None
    if group is None or account is None:
        raise MalformedFile("a 49 account trailer without its 03 account record", where=where)
    fields = Fields(record)
    total = int_field(fields.next("account control total", required=False), "account control total", where,
                 signed=True, blank=0)
    count = int_field(fields.next("number of records"), "number of records", where)
    if total != account.total:
        f.mismatch(f"account {account.number}: control total {total} does not match the sum of its 03 "
                            f"and 16 amounts, {account.total}", where=where)
    if count != account.records:
        f.mismatch(f"account {account.number}: number of records {count} does not match the "
                            f"{account.records} records 03 to 49 (88s included)", where)
    group.total += total
    group.accounts += 1
    group.account = None


def _group_trailer(f: _File, record: Record, where: str) -> None:
    group = f.group
    if group is None:
        raise MalformedFile("a 98 group trailer without its 02 group header", where=where)
    if group.account is not None:
        raise MalformedFile(f"a 98 group trailer before account {group.account.number}'s 49 trailer", where=where)
    fields = Fields(record)
    total = int_field(fields.next("group control total"), "group control total", where, signed=True)
    accounts = int_field(fields.next("number of accounts"), "number of accounts", where)
    count = int_field(fields.next("number of records"), "number of records", where)
    if total != group.total:
        f.mismatch(f"group control total {total} does not match the sum of its accounts' control "
                            f"totals, {group.total}", where=where)
    if accounts != group.accounts:
        f.mismatch(f"number of accounts {accounts} does not match the {group.accounts} accounts",
                            where=where)
    if count != group.records:
        f.mismatch(f"number of records {count} does not match the {group.records} records 02 to 98",
                            where=where)
    f.total += total
    f.groups += 1
    f.group = None


def _file_trailer(f: _File, record: Record, where: str) -> None:
    if f.group is not None:
        raise MalformedFile("a 99 file trailer before the group's 98 trailer", where=where)
    fields = Fields(record)
    total = int_field(fields.next("file control total"), "file control total", where, signed=True)
    groups = int_field(fields.next("number of groups"), "number of groups", where)
    count = int_field(fields.next("number of records"), "number of records", where)
    if total != f.total:
        f.mismatch(f"file control total {total} does not match the sum of its groups' control "
                            f"totals, {f.total}", where=where)
    if groups != f.groups:
        f.mismatch(f"number of groups {groups} does not match the {f.groups} groups", where=where)
    if count != f.records:
        f.mismatch(f"number of records {count} does not match the {f.records} records 01 to 99",
                            where=where)
    f.closed = True
