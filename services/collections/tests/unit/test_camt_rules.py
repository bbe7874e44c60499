"""camt.053/054 rules on documents built here, one rule at a time: remittance adjustments to deduction reasons, RF
creditor references, pending and zero entries listed not booked, and each specification check refusing a broken
file with the element it names. The real banks' files are in test_bank_files.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c_collections.cashapp.engine import Line, classify_deduction
from o2c_collections.payments.parsers import MalformedFile, parse_file


def document(entries: str, *, version: str = "08", kind: str = "053") -> bytes:
    wrapper, report = ("BkToCstmrStmt", "Stmt") if kind == "053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    return (f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version}"><{wrapper}><GrpHdr>'
            f"<MsgId>M</MsgId><CreDtTm>2026-02-03T10:00:00Z</CreDtTm></GrpHdr><{report}><Id>S</Id><Acct><Id>"
            f"<IBAN>CH9300762011623852957</IBAN></Id></Acct>{entries}</{report}></{wrapper}></Document>").encode()


def ntry(tx: str = "", *, amount: str = "100.00", status: str = "<Sts><Cd>BOOK</Cd></Sts>",
         direction: str = "CRDT", dates: str = "<ValDt><Dt>2026-02-03</Dt></ValDt>") -> str:
    return (f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{status}{dates}'
            f"<AcctSvcrRef>R-1</AcctSvcrRef><NtryDtls>{tx}</NtryDtls></Ntry>")


def test_remittance_adjustments_are_mapped_to_deduction_reasons() -> None:
    strd = ("<TxDtls><RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy=\"EUR\">90.00"
            "</RmtdAmt><AdjstmntAmtAndRsn><Amt Ccy=\"EUR\">10.00</Amt><Rsn>{code}</Rsn><AddtlInf>{text}</AddtlInf>"
            "</AdjstmntAmtAndRsn></RfrdDocAmt></Strd><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            "<Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>")
    for code, text, reason in (("01", "", "pricing"), ("06", "", "shortage"), ("54", "", "freight"),
                               ("55", "", "tax"), ("ZZ", "damaged goods", "damaged"), ("ZZ", "?", "unclassified")):
        payment = parse_file(document(ntry(strd.format(code=code, text=text))), "camt053").payments[0]
        assert payment.lines[0].reference == "INV-1" and payment.lines[0].amount == Decimal("90.00")
        assert classify_deduction(payment.lines[0].reason_code) == reason, code
        assert payment.lines[1] == Line("539007547034")  # ISO 11649's own example, check digits 18 hold


def test_an_amount_remitted_in_another_currency_is_no_line_amount_and_a_sub_unit_amount_refuses_the_file() -> None:
    """The payer's remittance in USD on a EUR credit says which invoice, not how much of it in EUR (and its cents
    beyond EUR's are no defect of the file); an amount finer than the credit's currency allows is."""
    strd = ("<TxDtls><RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy=\"USD\">"
            "107.125</RmtdAmt></RfrdDocAmt></Strd></RmtInf></TxDtls>")
    [payment] = parse_file(document(ntry(strd)), "camt053").payments
    assert payment.lines == (Line("INV-1", None, None),) and payment.amount == Decimal("100.00")
    with pytest.raises(MalformedFile, match=r"100\.005 EUR has digits below the currency.s minor unit"):
        parse_file(document(ntry(amount="100.005")), "camt053")


def test_rf_references_are_read_to_the_reference_they_carry() -> None:
    from o2c_collections.payments.camt import creditor_reference

    assert creditor_reference("RF18 5390 0754 7034") == "539007547034"
    assert creditor_reference("RF36INV202600042") == "INV202600042"
    assert creditor_reference("RF19INV202600042") == "RF19INV202600042"  # check digits fail: kept as written
    assert creditor_reference("210000000003139471430009017") == "210000000003139471430009017"


def test_a_pending_entry_without_dates_does_not_fail_the_file() -> None:
    result = parse_file(document(ntry(status="<Sts><Cd>PDNG</Cd></Sts>", dates="") + ntry()), "camt053")
    assert len(result.payments) == 1 and [s.reason for s in result.skipped] == ["pending"]


TX = ('<TxDtls><Refs><AcctSvcrRef>T-{n}</AcctSvcrRef></Refs><Amt Ccy="EUR">{amount}</Amt>'
      "<CdtDbtInd>CRDT</CdtDbtInd></TxDtls>")


@pytest.mark.parametrize(("content", "kind", "pointer", "words"), [
    (document(ntry(), version="09"), "camt053", "/Document", "not read"),
    (document(ntry(), version="01"), "camt053", "/Document", "not read"),
    (document(ntry(), kind="054"), "camt053", "/Document", "not the camt.053"),
    (document(ntry(status="")), "camt053", "/Document/BkToCstmrStmt/Stmt/Ntry/Sts", "Sts"),
    (document(ntry(direction="CRED")), "camt053", "/Document/BkToCstmrStmt/Stmt/Ntry/CdtDbtInd", "CRDT or DBIT"),
    (document(ntry(dates="")), "camt053", "/Document/BkToCstmrStmt/Stmt/Ntry/BookgDt", "without ValDt"),
    (document(ntry(amount="-5")), "camt053", "/Document/BkToCstmrStmt/Stmt/Ntry/Amt", "not a positive"),
    (document(ntry().replace('Ccy="EUR"', 'Ccy="euro"')), "camt053", "/Document/BkToCstmrStmt/Stmt/Ntry/Amt/@Ccy",
     "ISO 4217"),
    (document(ntry(TX.format(n=1, amount="60.00") + TX.format(n=2, amount="30.00"))), "camt053",
     "/Document/BkToCstmrStmt/Stmt/Ntry/Amt", "add up to 90.00 EUR"),
    (document(ntry(TX.format(n=1, amount="60.00") + TX.format(n=2, amount="40.00").replace("EUR", "USD"))),
     "camt053", "/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls[2]/Amt", "no amount in the entry's currency"),
    (document(ntry()).replace(b"<GrpHdr><MsgId>M</MsgId>", b"<GrpHdr>"), "camt053",
     "/Document/BkToCstmrStmt/GrpHdr/MsgId", "MsgId"),
    (document(ntry()).replace(b"<Acct><Id><IBAN>CH9300762011623852957</IBAN></Id></Acct>", b""), "camt053",
     "/Document/BkToCstmrStmt/Stmt/Acct", "Acct"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>', "camt054", "#", "DTD"),
    (document(ntry())[:-20], "camt053", "#", "not well-formed"),
])
def test_each_camt_check_refuses_a_broken_file(content: bytes, kind: str, pointer: str, words: str) -> None:
    parse_file(document(ntry(TX.format(n=1, amount="60.00") + TX.format(n=2, amount="40.00"))), "camt053")
    with pytest.raises(MalformedFile) as refused:
        parse_file(content, kind)  # type: ignore[arg-type]
    error = refused.value.errors[0]
    assert error["pointer"] == pointer and words in error["detail"], error


def test_a_zero_credit_is_listed_not_booked_nor_refused() -> None:
    result = parse_file(document(ntry(amount="0.00") + ntry()), "camt053")
    assert len(result.payments) == 1 and [s.reason for s in result.skipped] == ["zero_amount"]
