"""ISO 20022 camt.053 (BankToCustomerStatement) and camt.054 (BankToCustomerDebitCreditNotification), message
versions .001.02 to .001.08, read by element name within the message's own namespace.

Each booked credit entry (``Ntry`` with ``CdtDbtInd`` CRDT, ``Sts`` BOOK, not ``RvslInd``) becomes payments:
one per transaction (``NtryDtls/TxDtls``) when the entry holds several (a batch), each with its own payer,
amount and references, and the transactions' amounts must add up to the entry's; an entry with one or no
``TxDtls`` is one payment of the entry's amount. Nothing else is dropped silently: debits, reversals
(``RvslInd`` true, either direction), returned payments (``RtrInf``, or bank transaction sub-family
RRTN/RPCR/ARET/UPCT), pending (PDNG, FUTR) and informational (INFO) entries are listed as skipped with their
reason, amount and reference.

Remittance: every ``RmtInf/Strd`` becomes lines - one per referred document (``RfrdDocInf/Nb``, with
``RfrdDocAmt/RmtdAmt`` when the block names one document and the first ``AdjstmntAmtAndRsn`` reason mapped to
the deduction reasons, see :data:`ADJUSTMENT_REASONS`), and the creditor reference (``CdtrRefInf/Ref``: an ISO
11649 ``RF`` reference as the reference it carries, Swiss QR/ISR references and any other as written, spaces
removed). Unstructured text (``Ustrd``) gives invoice-number-like tokens when no structured reference was given.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from o2c_collections.cashapp.engine import Line
from o2c_collections.payments.parsed import (
    MalformedFile,
    ParsedPayment,
    ParseResult,
    Skipped,
    amount,
    currency,
    invoice_tokens,
    iso_date,
)

_NAMESPACE = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.(\d\d)\}Document")
VERSIONS = ("02", "03", "04", "05", "06", "07", "08")
_ROOTS = {"053": ("BkToCstmrStmt", "Stmt"), "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
RETURN_SUBFAMILIES = frozenset({"RRTN", "RPCR", "ARET", "UPCT"})

#: ``AdjstmntAmtAndRsn/Rsn`` (Max4Text, no ISO code list; in practice the ANSI X12 element 426 adjustment reason
#: codes remittance advices carry) mapped to the deduction reasons of cash application. Other codes are kept as
#: written with the adjustment's ``AddtlInf``, which cash application reads for a reason word or leaves
#: ``unclassified``.
ADJUSTMENT_REASONS = {
    "01": "pricing", "02": "pricing", "03": "pricing", "09": "pricing", "24": "pricing", "43": "pricing",
    "04": "damaged", "05": "damaged", "11": "damaged", "12": "damaged",
    "06": "shortage", "42": "shortage", "59": "shortage",
    "14": "promo", "56": "promo", "57": "promo", "71": "promo",
    "55": "tax",
    "21": "freight", "30": "freight", "46": "freight", "54": "freight",
    "23": "unauthorized",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Node:
    """An element with its pointer (``/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]``) for precise problems."""

    def __init__(self, element: ET.Element, where: str) -> None:
        self.element = element
        self.where = where

    def all(self, name: str) -> list[_Node]:
        found = [c for c in self.element if _local(c.tag) == name]
        return [_Node(c, f"{self.where}/{name}[{k}]" if len(found) > 1 else f"{self.where}/{name}")
                for k, c in enumerate(found, start=1)]

    def one(self, path: str) -> _Node | None:
        node: _Node | None = self
        for step in path.split("/"):
            if node is None:
                return None
            children = node.all(step)
            node = children[0] if children else None
        return node

    def text(self, path: str) -> str | None:
        node = self.one(path)
        if node is None or node.element.text is None:
            return None
        return node.element.text.strip() or None

    def first_text(self, *paths: str) -> str | None:
        return next((t for t in (self.text(p) for p in paths) if t), None)

    def require(self, path: str) -> _Node:
        node = self.one(path)
        if node is None:
            raise MalformedFile(f"{path} is missing", where=f"{self.where}/{path}")
        return node


@dataclass(frozen=True)
class _Money:
    value: Decimal
    currency: str


def _money(node: _Node | None) -> _Money | None:
    if node is None:
        return None
    return _Money(amount(node.element.text, node.where), currency(node.element.get("Ccy"), node.where + "/@Ccy"))


def parse_camt(text: str, *, kind: str | None = None) -> ParseResult:
    """``kind``: ``053`` or ``054`` when the upload said which; the document must then be that message."""
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise MalformedFile("DTDs and entities are not accepted", where="#")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs and entities refused above; expat limits expansion
    except ET.ParseError as exc:
        raise MalformedFile(f"not well-formed XML: {exc}", where="#") from None
    match = _NAMESPACE.fullmatch(root.tag)
    if match is None:
        raise MalformedFile(f"{root.tag!r} is not a camt.053 or camt.054 Document (namespace "
                            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN or camt.054.001.NN)", where="/Document")
    message, version = match.groups()
    if version not in VERSIONS:
        raise MalformedFile(f"camt.{message}.001.{version} is not read (versions .001.02 to .001.08 are)",
                            where="/Document")
    if kind is not None and kind != message:
        raise MalformedFile(f"the file is a camt.{message}, not the camt.{kind} it was uploaded as",
                            where="/Document")
    document = _Node(root, "/Document")
    wrapper_name, report_name = _ROOTS[message]
    wrapper = document.one(wrapper_name)
    if wrapper is None:
        raise MalformedFile(f"{wrapper_name} is missing", where=f"/Document/{wrapper_name}")
    header = wrapper.require("GrpHdr")
    msg_id = header.text("MsgId")
    if msg_id is None:
        raise MalformedFile("MsgId is missing", where=f"{header.where}/MsgId")
    reports = wrapper.all(report_name)
    if not reports:
        raise MalformedFile(f"{wrapper_name} holds no {report_name}", where=f"{wrapper.where}/{report_name}")
    result = ParseResult([])
    for report in reports:
        report.require("Acct")
        report_id = report.text("Id") or ""
        for n, entry in enumerate(report.all("Ntry"), start=1):
            _entry(entry, result, fallback=f"camt:{msg_id}:{report_id}:{n}")
    return result


def _status(entry: _Node) -> str:
    status = entry.first_text("Sts/Cd", "Sts/Prtry", "Sts")
    if status is None:
        raise MalformedFile("Sts (entry status) is missing", where=f"{entry.where}/Sts")
    return status


def _boolean(node: _Node, path: str) -> bool:
    raw = node.text(path)
    if raw not in (None, "true", "false", "1", "0"):
        raise MalformedFile(f"{raw!r} is not a boolean", where=f"{node.where}/{path}")
    return raw in ("true", "1")


def _direction(node: _Node, path: str = "CdtDbtInd", *, required: bool = True) -> str | None:
    raw = node.text(path)
    if raw is None and not required:
        return None
    if raw not in ("CRDT", "DBIT"):
        raise MalformedFile(f"CdtDbtInd {raw!r} is not CRDT or DBIT", where=f"{node.where}/{path}")
    return raw


def _date(node: _Node, path: str) -> tuple[str, str] | None:
    date_node = node.one(path)
    if date_node is None:
        return None
    if (raw := date_node.text("Dt")) is not None:
        return raw, f"{date_node.where}/Dt"
    if (raw := date_node.text("DtTm")) is not None:
        return raw[:10], f"{date_node.where}/DtTm"
    raise MalformedFile(f"{path} has neither Dt nor DtTm", where=date_node.where)


def _transactions(entry: _Node) -> list[_Node]:
    return [tx for details in entry.all("NtryDtls") for tx in details.all("TxDtls")]


def _entry(entry: _Node, result: ParseResult, *, fallback: str) -> None:
    total = _money(entry.require("Amt"))
    assert total is not None
    direction = _direction(entry)
    reversal = _boolean(entry, "RvslInd")
    status = _status(entry)
    entry_ref = entry.text("AcctSvcrRef")
    transactions = _transactions(entry)

    def skip(reason: str, detail: str) -> None:
        result.skipped.append(Skipped(entry.where, reason, detail, total.value, total.currency, entry_ref))

    if reversal:
        return skip("reversal", f"RvslInd true: reverses an earlier {'debit' if direction == 'CRDT' else 'credit'}")
    if status in ("PDNG", "FUTR"):
        return skip("pending", f"status {status}: not booked yet")
    if status == "INFO":
        return skip("informational", "status INFO: for information, not booked")
    if status != "BOOK":
        return skip("not_booked", f"status {status!r}")
    if direction == "DBIT":
        return skip("debit", "an outgoing (DBIT) entry")
    found = _date(entry, "ValDt") or _date(entry, "BookgDt")
    if found is None:
        raise MalformedFile("a booked entry without ValDt or BookgDt", where=f"{entry.where}/BookgDt")
    value_date = iso_date(found[0], found[1])
    subfamily = entry.text("BkTxCd/Domn/Fmly/SubFmlyCd")
    if subfamily in RETURN_SUBFAMILIES:
        return skip("returned", f"bank transaction code sub-family {subfamily}: a returned payment")
    if total.value == 0:
        return skip("zero_amount", "a credit of zero")
    if len(transactions) <= 1:
        tx = transactions[0] if transactions else None
        payment = _payment(tx, total.value, total.currency, value_date, entry=entry, single=True,
                           reference=entry_ref or (tx.text("Refs/AcctSvcrRef") if tx else None) or fallback)
        if tx is not None and tx.one("RtrInf") is not None:
            return skip("returned", f"RtrInf {tx.text('RtrInf/Rsn/Cd') or ''}: a returned payment".replace("  ", " "))
        result.payments.append(payment)
        return
    _batch(entry, transactions, total, value_date, entry_ref, result, fallback)


def _tx_amount(tx: _Node, ccy: str) -> Decimal:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"):
        money = _money(tx.one(path))
        if money is not None and money.currency == ccy:
            return money.value
    raise MalformedFile(f"the transaction has no amount in the entry's currency {ccy} (Amt, AmtDtls/TxAmt or "
                        "AmtDtls/CntrValAmt)", where=f"{tx.where}/Amt")


def _batch(entry: _Node, transactions: list[_Node], total: _Money, value_date: object, entry_ref: str | None,
           result: ParseResult, fallback: str) -> None:
    net = Decimal(0)
    booked: list[tuple[_Node, Decimal, str]] = []
    for tx in transactions:
        value = _tx_amount(tx, total.currency)
        direction = _direction(tx, required=False) or "CRDT"
        net += value if direction == "CRDT" else -value
        booked.append((tx, value, direction))
    if net != total.value:
        raise MalformedFile(f"the transactions add up to {net} {total.currency}, the entry is {total.value}",
                            where=f"{entry.where}/Amt")
    for k, (tx, value, sign) in enumerate(booked, start=1):
        reference = tx.text("Refs/AcctSvcrRef") or (f"{entry_ref}#{k}" if entry_ref else f"{fallback}:{k}")
        if sign == "DBIT":
            result.skipped.append(Skipped(tx.where, "debit", "a debit inside a credit batch", value, total.currency,
                                          reference))
        elif tx.one("RtrInf") is not None:
            result.skipped.append(Skipped(tx.where, "returned", "RtrInf: a returned payment", value,
                                          total.currency, reference))
        elif value == 0:
            result.skipped.append(Skipped(tx.where, "zero_amount", "a transaction of zero", value, total.currency,
                                          reference))
        else:
            result.payments.append(_payment(tx, value, total.currency, value_date, entry=entry, reference=reference))


def _payment(tx: _Node | None, value: Decimal, ccy: str, value_date: object, *, entry: _Node,
             reference: str, single: bool = False) -> ParsedPayment:
    payer = customer = None
    lines: list[Line] = []
    instructed: _Money | None = None
    charges = _charges(tx, ccy) if tx is not None else None
    if charges is None and single:
        charges = _charges(entry, ccy)  # a batch's entry-level charges are the whole batch's, not one payment's
    if tx is not None:
        payer = tx.first_text("RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm", "RltdPties/UltmtDbtr/Nm",
                              "RltdPties/UltmtDbtr/Pty/Nm")
        customer = tx.first_text("RltdPties/Dbtr/Id/OrgId/Othr/Id", "RltdPties/Dbtr/Pty/Id/OrgId/Othr/Id")
        lines = _remittance(tx, ccy)
        instructed = next((m for m in (_money(tx.one(p)) for p in ("AmtDtls/InstdAmt/Amt", "Amt", "AmtDtls/TxAmt/Amt"))
                           if m is not None and m.currency != ccy and m.value > 0), None)
    return ParsedPayment(
        bank_reference=reference[:100], value_date=value_date,  # type: ignore[arg-type]
        currency=ccy, amount=value, customer_id=customer if customer and len(customer) <= 64 else None,
        payer_name=payer[:200] if payer else None, lines=tuple(lines),
        instructed_amount=instructed.value if instructed else None,
        instructed_currency=instructed.currency if instructed else None, charges=charges,
        where=tx.where if tx is not None else entry.where)


def _charges(node: _Node, ccy: str) -> Decimal | None:
    """The charges reported for the entry or transaction in its currency (v04+ ``Chrgs/TtlChrgsAndTaxAmt`` or
    ``Chrgs/Rcrd/Amt``; v02/v03 ``Chrgs/Amt``)."""
    found = Decimal(0)
    seen = False
    for block in node.all("Chrgs"):
        total = _money(block.one("TtlChrgsAndTaxAmt"))
        parts = [total] if total else [_money(r.one("Amt")) for r in block.all("Rcrd")] or [_money(block.one("Amt"))]
        for part in parts:
            if part is not None and part.currency == ccy:
                found += part.value
                seen = True
    return found if seen else None


def _remittance(tx: _Node, ccy: str) -> list[Line]:
    lines: list[Line] = []
    for info in tx.all("RmtInf"):
        for block in info.all("Strd"):
            lines.extend(_structured(block, ccy))
        if not lines:
            for text in info.all("Ustrd"):
                lines.extend(invoice_tokens(text.element.text or ""))
    return lines


def _structured(block: _Node, ccy: str) -> Iterator[Line]:
    documents = [d.text("Nb") for d in block.all("RfrdDocInf") if d.text("Nb")]
    paid = _money(block.one("RfrdDocAmt/RmtdAmt"))
    if paid is not None and paid.currency != ccy:  # what the payer remitted in another currency: no amount a line
        paid = None
    reason = _adjustment(block)
    for number in documents:
        yield Line(number, paid.value if paid and len(documents) == 1 else None, reason)
    for ref_info in block.all("CdtrRefInf"):
        ref = ref_info.text("Ref")
        if ref:
            yield Line(creditor_reference(ref), paid.value if paid and not documents else None,
                       reason if not documents else None)


def creditor_reference(raw: str) -> str:
    """A creditor reference as cash application matches it: spaces removed; an ISO 11649 ``RF`` reference whose
    mod-97 check holds reduced to the reference it carries (``RF18 5390 0754 7034`` -> ``539007547034``), which
    is what the invoice was issued with. Anything else (Swiss QR/ISR references, other schemes) as written."""
    ref = re.sub(r"\s+", "", raw)
    if re.fullmatch(r"RF\d\d[0-9A-Za-z]{1,21}", ref):
        digits = "".join(str(int(c, 36)) for c in (ref[4:] + ref[:4]).upper())
        if int(digits) % 97 == 1:
            return ref[4:]
    return ref


def _adjustment(block: _Node) -> str | None:
    amounts = block.one("RfrdDocAmt")
    for adjustment in amounts.all("AdjstmntAmtAndRsn") if amounts else []:
        code = adjustment.text("Rsn")
        mapped = ADJUSTMENT_REASONS.get(code.zfill(2)) if code and code.isdigit() else None
        if mapped:
            return f"{mapped} (X12 {code})"  # the reason first, as cash application reads it; the code kept
        text = " ".join(t for t in (code, adjustment.text("AddtlInf")) if t)
        return text[:40] or None
    return None
