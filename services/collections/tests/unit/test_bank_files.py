"""Every real bank file in ../shared/conformance (bai2/, camt/) through the parsers, each credit compared with an
independent reading: the ``bai2`` PyPI package for BAI2 (where it reads the file), the genkgo/camt library's
recorded parse (the ``.json`` beside each genkgo file) and assertions written from the file for the others.
Then each specification check shown to refuse a broken file, naming the line or element."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from bai2 import bai2 as bai2_package
from bai2.constants import TypeCodeTransaction

from o2c_collections.payments.bai2 import RETURN_CODES, parse_bai2
from o2c_collections.payments.parsers import MalformedFile, ParseResult, parse_file
from o2c_common.money import minor_units

REPO = Path(__file__).resolve().parents[4]
CONFORMANCE = REPO.parent / "shared" / "conformance"
# Files whose trailers were edited by hand after the amounts (moov-io's sanitised bank exports): the 49 of
# account 107049932 declares -1260161341762 over 26 records for 7999960 over 18. Refused as they are; read with
# check_totals=False to show every other rule holds and to compare their credits.
UNRECONCILED = {"sample4-continuations-newline-delimited.txt", "sample5-issue113.txt"}
REFUSED_CAMT = {"camt053.v2.wrong.xml": "/Document/BkToCstmrStmt/Stmt"}  # genkgo's own invalid file: no Stmt


def conformance(folder: str) -> Path:
    path = CONFORMANCE / folder
    if not path.is_dir():
        pytest.fail(f"{path} is missing: the real bank files live in ../shared/conformance beside the repository "
                    "(see README, 'Conformance files', for how to get them)")
    return path


def bai2_files() -> list[Path]:
    return sorted(p for p in (CONFORMANCE / "bai2").glob("*/*") if p.is_file())


def camt_files() -> list[Path]:
    return sorted((CONFORMANCE / "camt").glob("**/*.xml"))


def _kind(path: Path) -> str:
    return "camt054" if "054" in path.name or "camt054" in str(path.parent) else "camt053"


# --- BAI2 -------------------------------------------------------------------------------------------------------


def test_the_conformance_files_are_there() -> None:
    assert len(list(conformance("bai2").glob("*/*"))) == 9
    assert len(list(conformance("camt").glob("**/*.xml"))) == 30


@pytest.mark.parametrize("path", bai2_files(), ids=lambda p: p.name)
def test_every_bai2_file_parses_and_its_credits_match_the_bai2_package(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    if path.name in UNRECONCILED:
        with pytest.raises(MalformedFile) as refused:
            parse_file(path.read_bytes(), "bai2")
        assert refused.value.errors[0]["pointer"] == "#/line/22"
        assert "control total -1260161341762 does not match the sum of its 03 and 16 amounts, 7999960" \
            in refused.value.errors[0]["detail"]
        ours = parse_bai2(text, check_totals=False)
        assert ours.unreconciled and all("does not match" in u for u in ours.unreconciled)
    else:
        ours = parse_file(path.read_bytes(), "bai2")
        assert ours.unreconciled == []
    try:
        theirs = bai2_package.parse_from_string(text, check_integrity=path.name not in UNRECONCILED)
    except Exception as exc:
        assert path.name in {"sample2.txt", "sample3.txt"}, exc
        return
    expected, debits = [], 0
    for group in theirs.children:
        for account in group.children:
            ccy = account.header.currency or group.header.currency or "USD"
            for t in account.children:
                if t.type_code.transaction == TypeCodeTransaction.debit:
                    debits += 1
                    continue
                if t.type_code.transaction != TypeCodeTransaction.credit or t.type_code.code in RETURN_CODES:
                    continue
                when = t.availability["date"] if t.availability and "date" in t.availability else \
                    group.header.as_of_date
                expected.append((Decimal(t.amount).scaleb(-minor_units(ccy)), ccy, when, t.bank_reference))
    got = [(p.amount, p.currency, p.value_date,
            None if (p.bank_reference or "").startswith("BAI2:") else p.bank_reference) for p in ours.payments]
    assert got == expected
    assert sum(s.reason == "debit" for s in ours.skipped) == debits


def test_the_bai2_specification_sample_read_from_the_file() -> None:
    """Appendix D of the specification (moov-io's copy): signed status amounts, an 03 continued over two 88s
    in the middle of a summary, funds types S, V, 1 and D, four groups (the last a correction)."""
    result = parse_file((conformance("bai2") / "moov-io" / "sample2.txt").read_bytes(), "bai2")
    got = [(p.amount, p.currency, str(p.value_date), p.bank_reference, p.customer_id, [li.reference for li in p.lines])
           for p in result.payments]
    assert got == [
        (Decimal("4500.00"), "USD", "2004-06-20", "BAI2:122099999:0406210200:1:1", None, []),
        (Decimal("5000.00"), "USD", "2004-06-20", "BAI2:122099999:0406210200:1:2", None, ["68751"]),
        (Decimal("200000.00"), "USD", "2004-06-22", "SP4738", "YRC065321", ["YRC065321"]),  # V: its value date
        (Decimal("100000.00"), "USD", "2004-06-20", "BAI2:122099999:0406210200:1:4", None, []),
    ]
    assert result.skipped == []


def test_the_packed_bai2_file_read_from_the_file() -> None:
    """Several records per line, a 16's text wrapped onto a line without 88, signed negative balances."""
    result = parse_file((conformance("bai2") / "moov-io" / "sample3.txt").read_bytes(), "bai2")
    assert [str(p.amount) for p in result.payments] == [
        "25.00", "5.00", "1.00", "25.00", "6.00", "6.00", "2.15", "1.05", "138.55", "115.21", "47.83", "23.47", "0.87"]
    assert {p.currency for p in result.payments} == {"USD"} and len(result.skipped) == 13
    wrapped = result.payments[3]  # 16,142,2500,Z,,,111111 ACH_SETL 1111111111 / 111111111111111 / on two lines
    assert [li.reference for li in wrapped.lines] == ["111111", "1111111111", "111111111111111"]


def test_bai2_returns_are_skipped_with_their_reason() -> None:
    result = parse_bai2((conformance("bai2") / "moov-io" / "sample4-continuations-newline-delimited.txt")
                        .read_text(), check_totals=False)
    returned = [s for s in result.skipped if s.reason == "returned"]
    assert [(s.amount, s.bank_reference) for s in returned][:2] == [(Decimal("1435.00"), "SB2322600000404"),
                                                                  (Decimal("19.12"), "GI2118700002010")]


SPEC = (CONFORMANCE / "bai2" / "moov-io" / "sample2.txt").read_text() if (CONFORMANCE / "bai2").is_dir() else ""


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("49,9150000,4/", "49,8700000,4/", 6, "control total 8700000 does not match the sum of its 03 and 16 amounts"),
    ("49,9150000,4/", "49,9150000,3/", 6, "number of records 3"),
    ("98,13150000,2,11/", "98,13150001,2,11/", 12, "group control total"),
    ("98,13150000,2,11/", "98,13150000,1,11/", 12, "number of accounts 1"),
    ("98,13150000,2,11/", "98,13150000,2,10/", 12, "number of records 10"),
    ("99,345450000,4,31/", "99,345450001,4,31/", 31, "file control total"),
    ("99,345450000,4,31/", "99,345450000,3,31/", 31, "number of groups 3"),
    ("99,345450000,4,31/", "99,345450000,4,30/", 31, "number of records 30"),
    ("16,115,450000,S,", "16,115,+450000,S,", 5, "is not an unsigned whole number"),
    ("16,115,450000,S,", "16,115,450000,X,", 5, "funds type 'X'"),
    ("16,115,450000,S,100000,200000,150000,,,/", "16,115,450000,S,100000/", 5, "ends before its one-day"),
    ("16,218,20000000,V,040622,", "16,218,20000000,V,042206,", 16, "not a date"),
    ("16,195,10000000,1,,,/", "16,095,10000000,1,,,/", 18, "not a three-digit detail type code"),
    ("03,9876543210,,010,-500000", "03,9876543210,,100,-500000", 7, "not an unsigned whole number"),
    ("01,122099999,123456789,040621,0200,1,65,,2/", "01,122099999,123456789,040621,0200,1,65,,3/", 1,
     "only BAI version 2"),
    ("02,031001234,122099999,1,040620,2359,,2/", "02,031001234,122099999,7,040620,2359,,2/", 2, "group status"),
    ("02,031001234,122099999,1,040620,2359,,2/", "02,031001234,122099999,1,040620,2359,US,2/", 2, "ISO 4217"),
    ("49,9150000,4/\n", "", 6, "before the previous account's 49 trailer"),
    ("99,345450000,4,31/", "", 30, "without its 99 file trailer"),
    ("88,072,1020000,,,074,500000,,/", "87,072,1020000,,,074,500000,,/", 4, "is not a BAI2 record"),
])
def test_each_bai2_check_refuses_a_broken_file(old: str, new: str, line: int, words: str) -> None:
    conformance("bai2")
    assert old in SPEC
    with pytest.raises(MalformedFile) as refused:
        parse_file(SPEC.replace(old, new, 1).encode(), "bai2")
    error = refused.value.errors[0]
    assert error["pointer"] == f"#/line/{line}" and words in error["detail"], error


def test_bai2_interim_test_and_deleted_groups_are_listed_not_booked() -> None:
    conformance("bai2")
    for old, new, reason in (("040620,2359,,2/", "040620,2359,,3/", "interim"),
                             ("122099999,1,040620", "122099999,4,040620", "test_or_deleted_group"),
                             ("122099999,1,040620", "122099999,2,040620", "test_or_deleted_group")):
        result = parse_file(SPEC.replace(old, new, 1).encode(), "bai2")
        assert len(result.payments) == 2 and [s.reason for s in result.skipped] == [reason, reason]


def test_bai2_implied_decimals_follow_the_currency() -> None:
    text = ("01,S,R,260203,1200,7,,,2/\n02,R,S,1,260203,,JPY,2/\n03,1,,010,1000,,/\n16,195,15000,0,B-1,,/\n"
            "03,2,KWD,010,1000,,/\n16,195,15000,0,B-2,,/\n49,16000,3/\n")
    with pytest.raises(MalformedFile):  # the first account is not closed before the second opens
        parse_file(text.encode(), "bai2")
    fixed = (text.replace("16,195,15000,0,B-1,,/\n", "16,195,15000,0,B-1,,/\n49,16000,3/\n")
             + "98,32000,2,8/\n99,32000,1,10/\n")
    got = [(p.currency, p.amount) for p in parse_file(fixed.encode(), "bai2").payments]
    assert got == [("JPY", Decimal(15000)), ("KWD", Decimal("15.000"))]


# --- camt ----------------------------------------------------------------------------------------------------


def _entries(path: Path) -> list[str]:
    """The pointer of every Ntry in document order, as the parser names them."""
    root = ET.parse(path).getroot()
    local = lambda e: e.tag.rsplit("}", 1)[-1]  # noqa: E731
    wrapper = next(iter(root))
    reports = [r for r in wrapper if local(r) in ("Stmt", "Ntfctn")]
    pointers = []
    for i, report in enumerate(reports, start=1):
        base = f"/Document/{local(wrapper)}/{local(report)}" + (f"[{i}]" if len(reports) > 1 else "")
        entries = [e for e in report if local(e) == "Ntry"]
        pointers += [base + "/Ntry" + (f"[{j}]" if len(entries) > 1 else "") for j in range(1, len(entries) + 1)]
    return pointers


def _by_entry(result: ParseResult, pointer: str) -> tuple[list, list]:
    inside = lambda where: where == pointer or (where or "").startswith(pointer + "/")  # noqa: E731
    return ([p for p in result.payments if inside(p.where)], [s for s in result.skipped if inside(s.where)])


@pytest.mark.parametrize("path", camt_files(), ids=lambda p: p.name)
def test_every_camt_file_parses_and_no_entry_is_lost(path: Path) -> None:
    if path.name in REFUSED_CAMT:
        with pytest.raises(MalformedFile) as refused:
            parse_file(path.read_bytes(), _kind(path))  # type: ignore[arg-type]
        assert refused.value.errors[0]["pointer"] == REFUSED_CAMT[path.name]
        return
    result = parse_file(path.read_bytes(), _kind(path))  # type: ignore[arg-type]
    for pointer in _entries(path):  # every entry is booked or listed as skipped
        payments, skipped = _by_entry(result, pointer)
        assert payments or skipped, pointer
    assert len(result.payments) + len(result.skipped) >= len(_entries(path))


def _genkgo_tx(entry: dict, k: int) -> dict | None:
    tx = entry["getTransactionDetails"][k]
    if tx == "__RECURSIVITY__":
        tx = entry.get("getTransactionDetail") if k == 0 else None
    return tx if isinstance(tx, dict) else None


@pytest.mark.parametrize("path", sorted((CONFORMANCE / "camt" / "genkgo").glob("*.json")), ids=lambda p: p.name)
def test_camt_credits_match_the_genkgo_library(path: Path) -> None:
    xml = path.with_suffix(".xml")
    recorded = json.loads(path.read_text())
    result = parse_file(xml.read_bytes(), _kind(xml))  # type: ignore[arg-type]
    pointers = _entries(xml)
    entries = [e for e in recorded["getEntries"] if isinstance(e, dict)]
    if len(entries) != len(pointers):  # the library's message lists one statement's entries: find each one's
        assert path.name == "camt053.v2.multi.statement.json"
        pointers = [next(p for p in pointers if _by_entry(result, p)[1]
                         and _by_entry(result, p)[1][0].amount == abs(Decimal(e["getAmount"]["getAmount"])) / 100)
                    for e in entries]
    for entry, pointer in zip(entries, pointers, strict=True):
        payments, skipped = _by_entry(result, pointer)
        ccy = entry["getAmount"]["getCurrency"]["getCode"]
        value = abs(Decimal(entry["getAmount"]["getAmount"]).scaleb(-minor_units(ccy)))
        booked = (entry["getCreditDebitIndicator"] == "CRDT" and entry.get("getStatus") in ("BOOK", None)
                  and not entry.get("getReversalIndicator"))
        if not booked:
            assert not payments and skipped, pointer
            continue
        assert sum(p.amount for p in payments) == value and {p.currency for p in payments} == {ccy}, pointer
        assert len(payments) == max(1, len(entry["getTransactionDetails"]))
        for k, payment in enumerate(payments):
            tx = _genkgo_tx(entry, k)
            if tx is None:
                continue
            debtors = [p["getRelatedPartyType"].get("getName") for p in tx.get("getRelatedParties") or []
                       if isinstance(p, dict) and p["getRelatedPartyType"]["__CLASS__"].endswith("Debtor")]
            assert payment.payer_name == (debtors[0] if debtors else None), pointer
            info = tx.get("getRemittanceInformation") or {}
            ref = (info.get("getCreditorReferenceInformation") or {}).get("getRef") if isinstance(info, dict) else None
            if ref:
                assert ref.replace(" ", "") in [li.reference for li in payment.lines], pointer


def _camt(name: str) -> ParseResult:
    path = next((CONFORMANCE / "camt").glob(f"**/{name}"))
    return parse_file(path.read_bytes(), _kind(path))  # type: ignore[arg-type]


def test_a_batch_entry_becomes_one_payment_per_transaction() -> None:
    result = _camt("camt_054_Beispiel_SammelbuchungEs.xml")  # 113.00 CHF: Ada Lovelace 111.00, Lord Bayron 2.00
    assert [(p.bank_reference, p.amount, p.payer_name) for p in result.payments] == [
        ("170727CH00A1ABCD", Decimal("111.00"), "Ada Lovelace"), ("170727CH00A2ABCD", Decimal("2.00"), "Lord Bayron")]
    esr = _camt("camt.054-ES_P_CH0309000000250090342_38000000_0_2016052723011813.xml")
    assert len(esr.payments) == 8 and len({p.bank_reference for p in esr.payments}) == 8


def test_reversed_pending_and_debit_entries_are_listed_not_booked() -> None:
    result = _camt("camt_054_Beispiel_NoCrdtBookedNotReversed.xml")
    assert result.payments == []
    assert [(s.reason, s.amount) for s in result.skipped] == [
        ("reversal", Decimal("111.00")), ("pending", Decimal("2.00")), ("debit", Decimal("3.00"))]
    statement = _camt("camt.053_P_CH0309000000250090342_380000000_0_2016053100163801.xml")
    assert sorted({s.reason for s in statement.skipped}) == ["debit", "returned", "reversal"]


def test_structured_references_reach_the_remittance_lines() -> None:
    isr = _camt("camt_054_Beispiel_ZA1_ESR_ZE.xml").payments[0]
    assert (isr.amount, [li.reference for li in isr.lines]) == (Decimal("3949.75"), ["210000000003139471430009017"])
    qr = _camt("200519_camt.054_P_CH2909000000250094239_1111091335_0_2020061900081727_v2019.xml").payments
    assert [li.reference for p in qr for li in p.lines] == ["539115429773825311971477453",
                                                           "662437765447746478179744715"]


def test_the_instructed_amount_in_another_currency_and_charges_are_kept() -> None:
    fx = _camt("Business_Sample_camt.053.001.04.xml").payments[1]
    assert (fx.currency, fx.amount, fx.instructed_currency, fx.instructed_amount) == (
        "SEK", Decimal(30000), "EUR", Decimal(3255))
    charged = _camt("camt.054-ES_P_CH0309000000250090342_38000000_0_2016052723011813.xml").payments[3]
    assert charged.charges == Decimal("2.60")


def _mutations() -> list[tuple[str, bytes]]:
    files = [(p.name, p.read_bytes(), "bai2") for p in bai2_files()[:6]]
    files += [(p.name, p.read_bytes(), _kind(p)) for p in camt_files()[:6]]
    return [(kind, content) for _, content, kind in files]


@pytest.mark.parametrize("seed", range(4))
def test_damaged_files_are_refused_as_problems_never_a_crash(seed: int) -> None:
    """Each real file cut, with bytes deleted, duplicated or replaced: a ParseResult or a MalformedFile, nothing
    else (no IndexError, ValueError, ...)."""
    import random

    rng = random.Random(seed)
    for kind, content in _mutations():
        for _ in range(60):
            data = bytearray(content)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(data))
                action = rng.choice(("cut", "delete", "dup", "replace"))
                if action == "cut":
                    del data[at:]
                elif action == "delete":
                    del data[at:at + rng.randint(1, 12)]
                elif action == "dup":
                    data[at:at] = data[at:at + rng.randint(1, 40)]
                else:
                    data[at] = rng.choice(b",/-+0123456789ABCDVSZ <>\n")
                if not data:
                    data = bytearray(b" ")
            try:
                parse_file(bytes(data), kind)  # type: ignore[arg-type]
            except MalformedFile as problem:
                assert problem.errors and problem.errors[0]["pointer"]
