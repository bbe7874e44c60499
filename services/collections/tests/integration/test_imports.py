"""Bank files: CSV, camt.053, camt.054 and BAI2 booked and applied by import jobs (upload, then booked in the
background in chunks with progress); malformed files refused with nothing booked; a re-imported file or line
recognized and not booked twice; a line that fails to book counted as an error without stopping the file."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.collections.tests.conftest import IMPORTER, Service, problem

CSV = b"""bank_reference,value_date,currency,amount,customer_id,payer_name,remittance
B-1,2026-02-03,USD,100.00,CUST-1,Acme,INV-1
B-2,2026-02-03,USD,240.00,CUST-1,Acme,INV-2:240.00:pricing
"""


def camt(kind: str, entries: str) -> bytes:
    root = "BkToCstmrStmt><Stmt" if kind == "053" else "BkToCstmrDbtCdtNtfctn><Ntfctn"
    close = "Stmt></BkToCstmrStmt" if kind == "053" else "Ntfctn></BkToCstmrDbtCdtNtfctn"
    return (f'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.08">'
            f"<{root.split('><')[0]}><GrpHdr><MsgId>M-1</MsgId><CreDtTm>2026-02-03T10:00:00Z</CreDtTm></GrpHdr>"
            f"<{root.split('><')[1]}><Id>S-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>"
            f"{entries}</{close}></Document>").encode()


def entry(ref: str, amount: str, invoice: str, customer: str = "CUST-1", direction: str = "CRDT") -> str:
    return (f'<Ntry><Amt Ccy="USD">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f"<ValDt><Dt>2026-02-03</Dt></ValDt>"
            f"<AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Acme</Nm><Id><OrgId><Othr>"
            f"<Id>{customer}</Id></Othr></OrgId></Id></Dbtr></RltdPties><RmtInf><Strd><RfrdDocInf><Nb>{invoice}</Nb>"
            f"</RfrdDocInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>")


BAI2 = b"""01,BANK,O2C,260203,1200,1,,,2/
02,O2C,BANK,1,260203,1200,USD,2/
03,123456789,USD,010,34000,,/
16,175,10000,Z,BR-1,CUST-1,REMIT INV-1/
16,175,24000,Z,BR-2,CUST-1,INV-2/
49,68000,4/
98,68000,1,6/
99,68000,1,8/
"""  # the 49 control total sums the 03 record's amounts and the 16s' (BAI2 v2): 34000 + 10000 + 24000

FILES = {"csv": CSV, "camt053": camt("053", entry("C-1", "100.00", "INV-1") + entry("C-2", "240.00", "INV-2")
                                                + entry("C-3", "5.00", "X", direction="DBIT")),
         "camt054": camt("054", entry("N-1", "100.00", "INV-1") + entry("N-2", "240.00", "INV-2")),
         "bai2": BAI2}


async def upload(service: Service, file_format: str, content: bytes, *, status: int = 202) -> dict[str, object]:
    """Uploads the file, books it as the background step does, and answers the job's final state."""
    response = await service.client.post(f"/payment-imports?format={file_format}&legal_entity=US01&filename=f",
                                         content=content, headers=IMPORTER)
    assert response.status_code == status, response.text
    assert response.headers["location"] == f"/payment-imports/{response.json()['id']}"
    await service.process_imports()
    final = (await service.client.get(response.headers["location"], headers=IMPORTER)).json()
    return {**dict(final), "duplicate_file": response.json()["duplicate_file"]}


@pytest.mark.parametrize("file_format", sorted(FILES))
async def test_each_format_books_and_applies_once(service: Service, file_format: str) -> None:
    one = await service.issue("INV-1", "100.00")
    two = await service.issue("INV-2", "240.00")
    first = await upload(service, file_format, FILES[file_format])
    assert (first["total_lines"], first["booked"], first["applied"], first["duplicates"]) == (2, 2, 2, 0)
    assert await service.open_amount(one) == 0 and await service.open_amount(two) == 0
    again = await upload(service, file_format, FILES[file_format], status=200)
    assert again["id"] == first["id"] and again["duplicate_file"] is True
    progress = (await service.client.get(f"/payment-imports/{first['id']}", headers=IMPORTER)).json()
    assert progress["processed_lines"] == progress["total_lines"] == 2 and progress["status"] == "completed"
    assert await service.scalar("SELECT count(*) FROM payments") == 2


async def test_a_line_seen_in_another_file_is_a_duplicate(service: Service) -> None:
    await upload(service, "csv", CSV)
    second = await upload(service, "csv", CSV + b"B-3,2026-02-04,USD,5.00,CUST-1,Acme,\n")
    assert (second["booked"], second["duplicates"]) == (1, 2)
    assert await service.scalar("SELECT count(*) FROM payments") == 3


@pytest.mark.parametrize(("file_format", "content"), [
    ("csv", b"bank_reference,value_date,currency,amount\nB-1,2026-02-30,USD,10.00\n"),
    ("csv", CSV + b"B-9,2026-02-03,USD,ten,CUST-1,Acme,INV-1\n"),
    ("csv", b"just,some,columns\n1,2,3\n"),
    ("camt053", b"<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy='USD'>1.00</Amt></Ntry>"),
    ("camt054", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>'),
    ("camt053", camt("053", entry("C-1", "100.00", "INV-1") + entry("C-2", "-3", "INV-2"))),
    ("bai2", BAI2.replace(b"49,68000", b"49,34000")),  # the 16s alone: the 03 amounts belong in the total
    ("bai2", b"16,175,100,Z,,,\n"),
    ("bai2", b""),
])
async def test_malformed_files_are_rejected_and_nothing_is_booked(service: Service, file_format: str,
                                                                   content: bytes) -> None:
    await service.issue("INV-1", "100.00")
    response = await service.client.post(f"/payment-imports?format={file_format}&legal_entity=US01",
                                         content=content, headers=IMPORTER)
    body = problem(response, 422)
    assert body["errors"]
    for table in ("payments", "payment_imports", "payment_import_lines", "applications"):
        assert await service.scalar(f"SELECT count(*) FROM {table}") == 0, table
    assert await service.outbox_types() == ["receivable.changed"]  # the invoice's opening entry only


def csv_file(lines: int, *, extra: tuple[str, ...] = ()) -> bytes:
    rows = [f"BIG-{n},2026-02-03,USD,1.00,CUST-9,,NOPE-{n}" for n in range(lines)]
    return ("bank_reference,value_date,currency,amount,customer_id,payer_name,remittance\n"
            + "\n".join([*rows, *extra]) + "\n").encode()


async def test_an_import_is_a_job_booked_in_chunks_with_progress(service: Service) -> None:
    from o2c_collections.payments.imports import process_chunk

    response = await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=csv_file(5),
                                         headers=IMPORTER)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["status"], job["total_lines"], job["processed_lines"], job["booked"]) == ("queued", 5, 0, 0)
    assert await service.scalar("SELECT count(*) FROM payments") == 0  # nothing booked by the request
    settings = service.settings.model_copy(update={"import_chunk_lines": 2})
    seen = []
    for _ in range(3):  # one chunk per transaction, as the background step runs it
        async with service.transactions.begin("system:payment-imports") as tx:
            await process_chunk(tx, settings=settings)
        progress = (await service.client.get(f"/payment-imports/{job['id']}", headers=IMPORTER)).json()
        seen.append((progress["status"], progress["processed_lines"], progress["booked"]))
    assert seen == [("processing", 2, 2), ("processing", 4, 4), ("completed", 5, 5)]
    assert progress["completed_at"] is not None and progress["errors"] == 0
    assert await service.scalar("SELECT count(*) FROM payments WHERE import_id = :i", i=job["id"]) == 5
    assert await service.scalar("SELECT count(*) FROM payment_import_lines") == 0  # dropped once booked
    assert await service.process_imports() == 0  # nothing left to do


async def test_a_line_that_cannot_be_booked_is_an_error_and_the_rest_is_booked(service: Service) -> None:
    too_long = "X" * 70  # a payer id longer than the ledger keeps: the database refuses this one line
    content = csv_file(2, extra=(f"BAD-1,2026-02-03,USD,1.00,{too_long},,", "LAST,2026-02-03,USD,2.00,CUST-9,,"))
    final = await upload(service, "csv", content)
    assert (final["status"], final["total_lines"], final["processed_lines"]) == ("completed", 4, 4)
    assert (final["booked"], final["errors"]) == (3, 1)
    assert final["error_details"][0]["line"] == 3 and final["error_details"][0]["detail"]
    assert await service.scalar("SELECT count(*) FROM payments") == 3


async def test_the_cli_follows_an_import_job_to_its_end(service: Service) -> None:
    """`o2c collections import-payments` polls the job while the background step books it, a chunk at a time."""
    import asyncio

    import httpx

    from o2c_cli.collections import ImportRefused, follow_import
    from o2c_collections.workers import import_chunk_once

    settings = service.settings.model_copy(update={"import_chunk_lines": 2})
    stop = asyncio.Event()

    async def background() -> None:  # the service's background step, as a replica runs it
        while not stop.is_set():
            if not await import_chunk_once(service.transactions, settings=settings):
                await asyncio.sleep(0.01)

    seen: list[tuple[str, int]] = []
    worker = asyncio.create_task(background())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://collections",
                                     headers=IMPORTER) as client:
            job = await follow_import(client, csv_file(5), file_format="csv", legal_entity="US01", filename="f.csv",
                                      poll_s=0.01, on_progress=lambda j: seen.append((j["status"],
                                                                                     j["processed_lines"])))
            with pytest.raises(ImportRefused) as refused:
                await follow_import(client, b"bank_reference,value_date\nB-1,never\n", file_format="csv",
                                    legal_entity="US01", filename=None, poll_s=0.01, on_progress=seen.append)
    finally:
        stop.set()
        await worker
    assert (job["status"], job["processed_lines"], job["booked"]) == ("completed", 5, 5)
    assert seen[0] == ("queued", 0) and seen[-1] == ("completed", 5)
    assert [n for _, n in seen] == sorted(n for _, n in seen)  # progress only moves forward
    assert refused.value.problem["errors"]
    assert await service.scalar("SELECT count(*) FROM payment_imports") == 1  # the refused file kept nothing


async def test_entries_not_booked_are_listed_on_the_import(service: Service) -> None:
    """A debit, a reversal: not payments, but listed with their reason in the import's audit record."""
    reversal = entry("C-9", "7.00", "INV-9").replace("<Sts>", "<RvslInd>true</RvslInd><Sts>")
    await upload(service, "camt053", camt("053", entry("C-1", "100.00", "INV-1")
                                          + entry("C-3", "5.00", "X", direction="DBIT") + reversal))
    rows = await service.rows("SELECT after FROM audit_log WHERE action = 'payments.import_started'")
    after = rows[0][0]
    assert after["lines"] == 1 and after["skipped_count"] == 2
    assert [(s["reason"], s["amount"], s["bank_reference"]) for s in after["skipped"]] == [
        ("debit", "5.00", "C-3"), ("reversal", "7.00", "C-9")]


async def test_a_remittance_adjustment_reason_becomes_the_deductions_reason(service: Service) -> None:
    """camt RmtInf/Strd: invoice INV-1 paid 90.00 of 100.00 with AdjstmntAmtAndRsn 01 (X12: pricing error)."""
    await service.issue("INV-1", "100.00")
    strd = ("<RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy=\"USD\">90.00</RmtdAmt>"
            "<AdjstmntAmtAndRsn><Amt Ccy=\"USD\">10.00</Amt><Rsn>01</Rsn></AdjstmntAmtAndRsn></RfrdDocAmt></Strd>"
            "</RmtInf>")
    content = camt("054", entry("D-1", "90.00", "INV-1").replace(
        "<RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf></Strd></RmtInf>", strd))
    final = await upload(service, "camt054", content)
    assert (final["booked"], final["applied"]) == (1, 1)
    rows = await service.rows("SELECT reason, amount, remittance_reason FROM deductions")
    assert [(r[0], Decimal(r[1]), r[2]) for r in rows] == [("pricing", Decimal("10.00"), "pricing (X12 01)")]
