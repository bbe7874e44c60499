"""Bank-file booking through the database for ``python -m bench.collections`` (part (b)) and ``bench.cashapp``: the
generated payments as CSV bank files, booked by the import job's chunk step in worker processes, one per file, over
open items copied into an embedded PostgreSQL; the outcome and the CPU of the workers and of PostgreSQL read back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import cProfile
import resource
import time
import uuid
import zlib
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import text

from bench.collections_db import embedded_database
from bench.cpu import CpuMeter
from bench.infra import OUTBOX_EVENTS
from o2c_cli.localstack import EmbeddedPostgres
from o2c_collections.cashapp.engine import Cash, Item
from o2c_collections.config import CollectionsSettings
from o2c_collections.payments.imports import process_chunk, start
from o2c_common.auth import Principal
from o2c_common.db import Database
from o2c_common.runtime import settle_heap
from o2c_common.tx import Transactions

Case = tuple[str, Cash, set[uuid.UUID]]
"""A payment of the generated set: its kind, the cash as the bank reports it, the invoices it truly pays."""


def bank_files(cases: list[Case], workers: int) -> list[bytes]:
    """The payments as CSV bank files (bank reference = the case's index), split over ``workers`` files by payer, so
    that one payer's payments are booked in order by one worker."""
    rows: list[list[str]] = [[] for _ in range(workers)]
    for n, (_, cash, _) in enumerate(cases):
        remittance = ";".join(li.reference for li in cash.lines if li.reference)
        rows[zlib.crc32((cash.customer_id or "").encode()) % workers].append(
            f"P{n},2026-07-01,{cash.currency},{cash.amount},{cash.customer_id},,{remittance}")
    header = "bank_reference,value_date,currency,amount,customer_id,payer_name,remittance"
    return [("\n".join([header, *r]) + "\n").encode() for r in rows]


async def load_items(db: Database, items: dict[str, list[Item]]) -> None:
    records = [(i.invoice_id, i.invoice_number, "US01", i.customer_id, i.currency, i.open_amount, i.open_amount,
                date(2026, 1, 1), i.due_date, "open", 1) for rows in items.values() for i in rows]
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table("open_items", records=records, columns=[
            "invoice_id", "invoice_number", "legal_entity", "customer_id", "currency", "original_amount", "open_amount",
            "issue_date", "due_date", "status", "entries"])
        await driver.execute("""INSERT INTO ledger_entries (invoice_id, sequence, kind, amount, effective_date,
            customer_id, legal_entity, currency, owning_team, due_date) SELECT invoice_id, 1, 'invoice',
            original_amount, issue_date, customer_id, legal_entity, currency, owning_team, due_date FROM open_items""")
        await driver.execute("VACUUM ANALYZE")
        await conn.commit()


async def database_bench(items: dict[str, list[Item]], cases: list[Case], workers: int,
                         chunk: int, decided: list[frozenset[uuid.UUID]] | None = None,
                         profile: str | None = None) -> dict[str, float]:
    server: list[EmbeddedPostgres] = []
    async with embedded_database("o2c_collections_cash", server=server) as db:
        await load_items(db, items)
        who = Principal(subject="bench", roles=frozenset({"integration"}), kind="service")
        transactions = Transactions(db=db, source="/o2c/collections")
        files = bank_files(cases, workers)
        jobs = []
        for n, content in enumerate(files):
            async with transactions.begin(who) as tx:
                job, _ = await start(tx, content=content, file_format="csv", legal_entity="US01",
                                     filename=f"bench-{n}.csv")
            jobs.append(job.id)

        meter = CpuMeter({}, trees={"postgres": server[0].process.pid}) if server[0].process else None
        workers_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        if meter:
            meter.start()
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(max_workers=len(jobs)) as pool:
            await asyncio.gather(*(loop.run_in_executor(pool, book_import, db.url, str(j), chunk,
                                                        f"{profile}/worker-{n}.prof" if profile else None)
                                   for n, j in enumerate(jobs)))
        elapsed = time.perf_counter() - started
        postgres_cpu = meter.stop()["postgres"] / 100 * meter.window_s if meter else 0.0
        workers_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (workers_after.ru_utime + workers_after.ru_stime
                       - workers_before.ru_utime - workers_before.ru_stime)
        truth = {f"P{n}": t for n, (_, _, t) in enumerate(cases)}
        async with db.unit_of_work() as s:
            applied = (await s.execute(text(
                "SELECT p.bank_reference, array_agg(a.invoice_id) FROM payments p JOIN applications a "
                "ON a.payment_id = p.id GROUP BY p.bank_reference"))).all()
            booked = await s.scalar(text("SELECT count(*) FROM payments"))
            outbox_rows = await s.scalar(text(f"SELECT {OUTBOX_EVENTS} FROM outbox"))
        matched = sum(1 for ref, invoices in applied if set(invoices) <= truth[ref])
        by_ref = {ref: frozenset(invoices) for ref, invoices in applied}
        differ = [n for n in range(len(cases)) if decided is not None
                  and by_ref.get(f"P{n}", frozenset()) != decided[n]]
        if differ and decided is not None:
            await _print_differences(db, items, cases, decided, differ)
        wrong_kinds: dict[str, int] = defaultdict(int)
        for ref, invoices in applied:
            if not set(invoices) <= truth[ref]:
                wrong_kinds[cases[int(ref[1:])][0]] += 1
        if wrong_kinds:
            print(f"  wrong matches through the database by kind: {dict(wrong_kinds)}")
        return {"elapsed": elapsed, "booked": float(booked or 0), "matched": float(matched),
                "wrong": float(len(applied) - matched), "outbox": float(outbox_rows or 0),
                "differ": float(len(differ)), "workers_cpu": workers_cpu, "postgres_cpu": postgres_cpu}


async def _print_differences(db: Database, items: dict[str, list[Item]], cases: list[Case],
                              decided: list[frozenset[uuid.UUID]], differ: list[int]) -> None:
    """The differing decisions by kind, and the first five with what the engine applied and the database said."""
    kinds: dict[str, int] = defaultdict(int)
    for n in differ:
        kinds[cases[n][0]] += 1
    print(f"  decisions through the database that differ from the engine's, by kind: {dict(kinds)}")
    numbers = {i.invoice_id: i.invoice_number for rows in items.values() for i in rows}
    async with db.unit_of_work() as s:
        said = dict((await s.execute(text("SELECT bank_reference, explanation FROM payments WHERE "
                                          "bank_reference = ANY(:refs)"),
                                     {"refs": [f"P{n}" for n in differ[:5]]})).all())
    for n in differ[:5]:
        kind, cash, _ = cases[n]
        engine = sorted(numbers[i] for i in decided[n])
        print(f"    P{n} ({kind}, {cash.amount}, remittance {[li.reference for li in cash.lines]}): engine "
              f"applied {engine or 'nothing'}; the database: {said.get(f'P{n}')}")


def book_import(url: str, import_id: str, chunk: int, profile: str | None = None) -> None:
    """One worker process (as one service replica's background step): the import's chunks until it is completed;
    ``profile``: a file for its cProfile statistics."""

    async def run() -> None:
        db = Database(url, pool_size=1)
        settings = CollectionsSettings(database_url=url, import_chunk_lines=chunk)
        transactions = Transactions(db=db, source="/o2c/collections", slots=settings.outbox_slots)
        settle_heap()  # as a service replica's start-up does
        try:
            while True:
                async with transactions.begin("system:payment-imports") as tx:
                    await process_chunk(tx, settings=settings, import_id=uuid.UUID(import_id))
                    done = await tx.session.scalar(
                        text("SELECT status = 'completed' FROM payment_imports WHERE id = :i"), {"i": import_id})
                if done:
                    return
        finally:
            await db.dispose()

    if profile is None:
        asyncio.run(run())
        return
    profiler = cProfile.Profile()
    profiler.runcall(asyncio.run, run())
    profiler.dump_stats(profile)
