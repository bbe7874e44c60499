"""A realistic month of AR, generated from a seed: accounts (three teams, one parent/child group, en and de), about
200 invoices over US01 (USD, JPY) and DE01 (EUR, GBP), and a camt.053 statement paying some of them in full, in
part, three at once, too much, 3.15 short (tolerance) and 83.51 short (a deduction)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from o2c_common.money import round_money


@dataclass(frozen=True)
class Account:
    customer_id: str
    name: str
    legal_entity: str
    currency: str
    team: str
    language: str
    collector: str
    parent: str = ""

    contact: bool = True

    def csv_row(self) -> str:
        contact = f"Accounts payable <ap@{self.customer_id.lower()}.example>" if self.contact else ""
        return (f"{self.customer_id},{self.name},{self.parent},{self.collector},{self.team},{self.language},"
                f"250000,{self.currency},{contact}")


ACCOUNTS = (
    Account("M-ACME", "Acme Corp", "US01", "USD", "vendor-a", "en", "carl"),
    Account("M-ACME-WEST", "Acme West", "US01", "USD", "vendor-a", "en", "carl", parent="M-ACME"),
    Account("M-GLOBEX", "Globex", "US01", "USD", "vendor-b", "en", "cora"),
    Account("M-INITECH", "Initech", "US01", "USD", "internal", "en", "ivan"),
    Account("M-NIPPON", "Nippon KK", "US01", "JPY", "vendor-b", "en", "cora"),
    Account("M-BEISPIEL", "Beispiel GmbH", "DE01", "EUR", "vendor-a", "de", "dora"),
    Account("M-MUSTER", "Muster AG", "DE01", "EUR", "internal", "de", "dora", contact=False),  # nobody to dun
    Account("M-BRIT", "Brit Ltd", "DE01", "GBP", "vendor-b", "en", "ivan"),
)
PORTAL_CUSTOMER = "M-BRIT"
PORTAL_PROFILE = {"name": "Brit Ltd", "legal_entity": "DE01", "currency": "GBP", "channel": "coupa",
                  "portal_account": "brit-coupa-1", "tax_id": "GB123456789", "rules": {"po_required": True}}
CSV_HEADER = ("customer_id,name,parent_customer_id,collector,owning_team,language,credit_limit,credit_currency,"
              "dunning_contacts")


def accounts_csv() -> str:
    return "\n".join([CSV_HEADER, *(a.csv_row() for a in ACCOUNTS)]) + "\n"


@dataclass
class Draft:
    key: str
    account: Account
    issue_date: date
    lines: list[tuple[str, str]]  # (quantity, unit price), no tax
    po: bool = True  # False: the customer's portal requires one (its rules refuse the approval)
    override: bool = False  # an approver overrides the portal rules, with a reason (audited)
    id: str = ""
    number: str = ""
    total: Decimal = Decimal(0)
    refused: dict[str, object] | None = None

    def body(self) -> dict[str, object]:
        return {"legal_entity": self.account.legal_entity, "customer_id": self.account.customer_id,
                "currency": self.account.currency, "issue_date": self.issue_date.isoformat(),
                "payment_terms_days": 14, **({"po_number": f"PO-{self.key}"} if self.po else {}),
                "lines": [{"description": f"Service {i + 1}", "quantity": q, "unit_price": p, "tax_rate": "0"}
                          for i, (q, p) in enumerate(self.lines)]}


@dataclass
class Month:
    drafts: list[Draft] = field(default_factory=list)


def generate(*, invoices: int = 200, seed: int = 12, start: date = date(2026, 10, 1)) -> Month:
    rng = random.Random(seed)
    month = Month()
    without_po = 0
    for n in range(invoices):
        account = ACCOUNTS[n % len(ACCOUNTS)]
        if account.currency == "JPY":
            lines = [(str(rng.randint(1, 4)), str(rng.randint(20, 400) * 100)) for _ in range(rng.randint(1, 2))]
        else:
            lines = [(str(rng.randint(1, 4)), f"{rng.randint(100, 900)}.{rng.randint(0, 99):02d}")
                     for _ in range(rng.randint(1, 3))]
        po = not (account.customer_id == PORTAL_CUSTOMER and without_po < 15)  # 15 miss their PO, 5 overridden
        without_po += not po
        month.drafts.append(Draft(key=f"{seed}-{n:03d}", account=account, issue_date=start.replace(day=1 + n % 28),
                                  lines=lines, po=po, override=not po and without_po <= 5))
    return month


# --- camt.053 --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Remitted:
    number: str
    amount: Decimal
    adjustment: Decimal | None = None  # with reason 01 (pricing): a deduction
    currency: str = "USD"


def entry(ref: str, amount: Decimal, payer: str, remitted: list[Remitted], *, currency: str = "USD",
          value_date: date = date(2026, 10, 28)) -> str:
    strd = "".join(
        f"<Strd><RfrdDocInf><Nb>{r.number}</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy=\"{currency}\">"
        f"{r.amount}</RmtdAmt>"
        + (f"<AdjstmntAmtAndRsn><Amt Ccy=\"{currency}\">{r.adjustment}</Amt><Rsn>01</Rsn></AdjstmntAmtAndRsn>"
           if r.adjustment else "")
        + "</RfrdDocAmt></Strd>" for r in remitted)
    return (f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f"<ValDt><Dt>{value_date.isoformat()}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RltdPties><Dbtr><Nm>{payer}</Nm><Id><OrgId><Othr><Id>{payer}</Id></Othr></OrgId></Id></Dbtr>"
            f"</RltdPties><RmtInf>{strd}</RmtInf></TxDtls></NtryDtls></Ntry>")


def camt053(entries: list[str], *, statement: str = "STMT-2026-10") -> bytes:
    return ('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
            f"<GrpHdr><MsgId>{statement}</MsgId><CreDtTm>2026-10-28T18:00:00Z</CreDtTm></GrpHdr><Stmt>"
            f"<Id>{statement}</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{''.join(entries)}"
            "</Stmt></BkToCstmrStmt></Document>").encode()


def half(amount: Decimal, currency: str) -> Decimal:
    return round_money(amount / 2, currency)
