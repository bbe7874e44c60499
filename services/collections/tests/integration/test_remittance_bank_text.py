"""Free remittance text of bank files read by cash application (issue 18 item 1): a camt.054 Ustrd and a BAI2 88
continuation naming several invoices with the shorthand, booked through the import job; the bank file's text is
kept on the remittance line and shown with the evidence; the ledger and the events agree at the end."""

from __future__ import annotations

from decimal import Decimal

from services.collections.tests.conftest import COLLECTOR, IMPORTER, Service
from services.collections.tests.integration.test_cashapp_remittance import assert_ledger_and_events_agree
from services.collections.tests.integration.test_imports import camt

USTRD = ('<Ntry><Amt Ccy="USD">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
         "<ValDt><Dt>2026-02-03</Dt></ValDt><AcctSvcrRef>U-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr>"
         "<Nm>Acme</Nm><Id><OrgId><Othr><Id>CUST-1</Id></Othr></OrgId></Id></Dbtr></RltdPties><RmtInf>"
         "<Ustrd>INVOICES US01-2026-000501 502 503 THANK YOU</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")

BAI2 = b"""01,BANK,O2C,260203,1200,1,,,2/
02,O2C,BANK,1,260203,1200,USD,2/
03,123456789,USD,010,0,,/
16,175,20000,Z,BR-7,CUST-1,PAYMENT FOR/
88,INV US01-2026-000504 AND 505/
49,20000,4/
98,20000,1,6/
99,20000,1,8/
"""


async def import_file(service: Service, content: bytes, file_format: str) -> None:
    response = await service.client.post(f"/payment-imports?format={file_format}&legal_entity=US01",
                                         content=content, headers=IMPORTER)
    assert response.status_code == 202, response.text
    await service.process_imports()


async def test_free_text_of_camt_and_bai2_names_several_invoices(service: Service) -> None:
    items = {n: await service.issue(f"US01-2026-000{n}", "100.00") for n in range(501, 507)}
    await import_file(service, camt("054", USTRD), "camt054")
    await import_file(service, BAI2, "bai2")
    assert [n for n, i in items.items() if await service.open_amount(i) == 0] == [501, 502, 503, 504, 505]
    assert await service.open_amount(items[506]) == Decimal("100.00")  # a twin of every one, never guessed
    payments = (await service.client.get("/payments", headers=COLLECTOR)).json()["items"]
    camt_payment = next(p for p in payments if p["bank_reference"] == "U-1")
    detail = (await service.client.get(f"/payments/{camt_payment['id']}", headers=COLLECTOR)).json()
    assert detail["remittance"][0]["text"] == "INVOICES US01-2026-000501 502 503 THANK YOU"
    assert [e["text"] for e in detail["evidence"] if e["rule"] == "invoice_number:shorthand"] == ["502", "503"]
    assert [e["text"] for e in detail["evidence"] if e["outcome"] == "applied"] == ["100.00 USD"] * 3  # readable
    await assert_ledger_and_events_agree(service)
