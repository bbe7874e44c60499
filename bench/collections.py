"""``python -m bench.collections``: cash application quality and speed, and aging speed (not a test).

(a) A generated data set whose true answer is known: 200,000 open items of 20,000 payers and 100,000
    payments with realistic remittance noise — exact references, typos in references, combined payments
    without reference, short pays (in and out of the deduction band), missing references, other payers'
    references, and payers with two open items of the same amount. The engine (the same pure function the
    service runs, payer items indexed in memory as the database query would return them) decides each
    payment; the figures are auto-match rate, wrong matches (cash applied to an invoice the truth does not
    name) and throughput.
(b) The same payments through the database: the open items loaded into an embedded PostgreSQL (durable settings),
    the payments uploaded as CSV bank files and booked by the import job's chunk step (``process_chunk``, what the
    service's background step runs: booking, remittance, payment.received, locking the payer's open items, the
    engine, applications, ledger entries, deductions, outbox rows, audit), one file per worker, each worker a
    process of its own (as service replicas would run it); payments/s from the first chunk to the last commit, and
    the match figures read back from the ``applications`` table against the truth.
(c) Aging as of a date over 1,000,000 open items (one ledger entry each, 20,000 customers x 3 currencies) in an
    embedded PostgreSQL, through the service function behind GET /aging: by currency, entity and team (one page
    each, with its totals), by customer the first page
    (50 rows, with the totals per currency) and a page half-way through, and the first page by customer through the
    HTTP endpoint in-process (response validation and JSON included); then every page of 200 by customer once.
    ``--only aging`` runs this part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from bench.cash_booking import Case, database_bench
from bench.collections_db import embedded_database
from bench.infra import load_average
from o2c_cli.testing import bearer
from o2c_collections.aging.service import aging
from o2c_collections.cashapp.engine import Cash, Config, Item, Line, decide
from o2c_collections.cashapp.references import invoice_keys
from o2c_collections.cashapp.service import match_keys
from o2c_collections.config import CollectionsSettings
from o2c_common.http import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, decode_cursor
from o2c_common.tx import Transactions

KINDS = ("exact", "typo", "combined", "short_band", "short_partial", "no_reference", "foreign", "duplicate_amount")
WEIGHTS = (40, 15, 10, 8, 5, 12, 5, 5)


def typo(reference: str, rng: random.Random) -> str:
    chars = list(reference)
    k = rng.randrange(4, len(chars))
    chars[k] = rng.choice("0123456789") if chars[k] != "0" else "8"
    return "".join(chars)


def generate(rng: random.Random, *, payers: int, items_per_payer: int,
             payments: int) -> tuple[dict[str, list[Item]], list[Case]]:
    """Open items per payer, and payments each with its kind and the truth (invoice ids it may apply to)."""
    items: dict[str, list[Item]] = {}
    n = 0
    for p in range(payers):
        payer = f"C{p:06d}"
        rows = []
        for _ in range(items_per_payer):
            n += 1
            cents = rng.randrange(5_000, 5_000_000)
            rows.append(Item(uuid.uuid4(), f"INV-{n:08d}", payer, "USD", Decimal(cents) / 100,
                             date(2026, 1, 1) + timedelta(days=rng.randrange(0, 180))))
        items[payer] = rows
    cases: list[Case] = []
    payer_ids = list(items)
    used: set[uuid.UUID] = set()
    for _ in range(payments * 3):
        if len(cases) == payments:
            break
        kind = rng.choices(KINDS, WEIGHTS)[0]
        payer = rng.choice(payer_ids)
        free = [i for i in items[payer] if i.invoice_id not in used]
        if len(free) < 3:
            continue
        a, b, c = free[0], free[1], free[2]
        truth: set[uuid.UUID] = set()
        if kind == "exact":
            cash, truth = Cash(a.open_amount, "USD", payer, (Line(a.invoice_number),)), {a.invoice_id}
        elif kind == "typo":
            cash, truth = Cash(a.open_amount, "USD", payer, (Line(typo(a.invoice_number, rng)),)), {a.invoice_id}
        elif kind == "combined":
            cash, truth = Cash(a.open_amount + b.open_amount + c.open_amount, "USD", payer), {
                a.invoice_id, b.invoice_id, c.invoice_id}
        elif kind == "short_band":
            short = (a.open_amount * Decimal("0.95")).quantize(Decimal("0.01"))
            cash, truth = Cash(short, "USD", payer, (Line(a.invoice_number),)), {a.invoice_id}
        elif kind == "short_partial":  # outside the deduction band: must stay unapplied (issue 13.3)
            cash = Cash((a.open_amount / 2).quantize(Decimal("0.01")), "USD", payer, (Line(a.invoice_number),))
        elif kind == "no_reference":
            cash, truth = Cash(a.open_amount, "USD", payer), {a.invoice_id}
        elif kind == "foreign":  # pays with another payer's invoice number: must stay unapplied
            other = items[rng.choice(payer_ids)][0]
            cash = Cash(a.open_amount, "USD", payer, (Line(other.invoice_number),))
            if other.customer_id == payer:
                continue
        else:  # two open items of the same amount, no reference: must stay unapplied
            twin = Item(uuid.uuid4(), f"DUP-{len(cases):08d}", payer, "USD", a.open_amount, a.due_date)
            items[payer].append(twin)
            cash = Cash(a.open_amount, "USD", payer)
        used.update(truth or {a.invoice_id})
        cases.append((kind, cash, truth))
    return items, cases


def run_engine(items: dict[str, list[Item]], cases: list[Case],
               config: Config) -> dict[str, object]:
    by_key: dict[str, list[Item]] = defaultdict(list)  # as the database finds them: open_items.match_keys
    for rows in items.values():
        for i in rows:
            for key in invoice_keys(i.invoice_number):
                by_key[key].append(i)
    open_amount = {i.invoice_id: i.open_amount for rows in items.values() for i in rows}
    matched = wrong = 0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rules: dict[str, int] = defaultdict(int)
    decided: list[frozenset[uuid.UUID]] = []
    started = time.perf_counter()
    for kind, cash, truth in cases:
        payer_items = [Item(i.invoice_id, i.invoice_number, i.customer_id, i.currency, open_amount[i.invoice_id],
                            i.due_date) for i in items[cash.customer_id or ""] if open_amount[i.invoice_id] > 0]
        referenced = list({i.invoice_id: i for key in match_keys(cash, []) for i in by_key.get(key, ())
                           if open_amount[i.invoice_id] > 0 or i.customer_id != cash.customer_id}.values())
        decision = decide(cash, payer_items=payer_items, referenced_items=referenced, config=config)
        decided.append(frozenset(a.invoice_id for a in decision.allocations))
        per_kind[kind][0] += 1
        if decision.allocations:
            rules[decision.rule or "?"] += 1
            if {a.invoice_id for a in decision.allocations} <= truth:
                matched += 1
                per_kind[kind][1] += 1
            else:
                wrong += 1
                per_kind[kind][2] += 1
            for allocation in decision.allocations:
                open_amount[allocation.invoice_id] -= allocation.amount + allocation.write_off + allocation.deduction
    elapsed = time.perf_counter() - started
    should = sum(1 for _, _, truth in cases if truth)
    return {"elapsed": elapsed, "matched": matched, "wrong": wrong, "should": should, "per_kind": dict(per_kind),
            "rules": dict(rules), "decided": decided}


async def aging_bench(items: int, repeats: int) -> dict[str, list[float]]:
    async with embedded_database("o2c_collections_bench") as db:
        async with db.unit_of_work() as s:
            await s.execute(text("""
                INSERT INTO open_items (invoice_id, invoice_number, legal_entity, customer_id, owning_team,
                    currency, original_amount, open_amount, issue_date, due_date, status)
                SELECT gen_random_uuid(), 'INV-' || g, 'US01', 'C' || (g % 20000), 'team-' || (g % 7),
                    (ARRAY['USD','EUR','GBP'])[1 + g % 3], 100 + g % 9000, 100 + g % 9000,
                    date '2025-01-01' + (g % 500), date '2025-01-31' + (g % 500), 'open'
                FROM generate_series(1, :n) g"""), {"n": items})
            await s.execute(text("""
                INSERT INTO ledger_entries (invoice_id, kind, amount, effective_date, customer_id, legal_entity,
                    currency, owning_team, due_date)
                SELECT invoice_id, 'invoice', original_amount, issue_date, customer_id, legal_entity, currency,
                    owning_team, due_date FROM open_items"""))
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        timings: dict[str, list[float]] = {}
        transactions = Transactions(db=db, source="/o2c/collections")
        first = PageRequest(limit=DEFAULT_LIMIT)
        async with db.unit_of_work() as s:  # a cursor half-way through the customers, for a later page
            middle = await s.scalar(text("SELECT customer_id FROM ledger_entries ORDER BY customer_id "
                                         "OFFSET (SELECT count(*) / 2 FROM ledger_entries) LIMIT 1"))
        later = PageRequest(limit=DEFAULT_LIMIT, after=(middle, ""))
        for label, by, page in (("currency", "currency", first), ("entity", "entity", first), ("team", "team", first),
                                ("customer, first page with totals", "customer", first),
                                ("customer, a later page", "customer", later)):
            timings[label] = []
            for _ in range(repeats):
                async with transactions.begin("system:bench") as tx:
                    started = time.perf_counter()
                    result = await aging(tx, as_of=date(2026, 3, 31), by=by, page=page)
                    timings[label].append(time.perf_counter() - started)
            print(f"  aging by {label}: {len(result.items)} rows, {len(result.totals or [])} totals")
        timings["customer over HTTP, first page"] = await aging_over_http(db.url, repeats)
        started = time.perf_counter()
        rows = pages = 0
        async with transactions.begin("system:bench") as tx:
            page = PageRequest(limit=MAX_LIMIT)
            while True:
                result = await aging(tx, as_of=date(2026, 3, 31), by="customer", page=page)
                rows, pages = rows + len(result.items), pages + 1
                if result.next_cursor is None:
                    break
                page = PageRequest(limit=MAX_LIMIT, after=decode_cursor(result.next_cursor))
        print(f"  aging by customer, every page of {MAX_LIMIT}: {rows} rows in {pages} pages, "
              f"{time.perf_counter() - started:.1f} s")
        return timings


async def aging_over_http(url: str, repeats: int) -> list[float]:
    """GET /aging?by=customer in-process (auth, the query, response validation and JSON), without workers."""
    import httpx

    from o2c_collections.main import create_app

    app = create_app(CollectionsSettings(database_url=url, run_workers=False, log_json=False, environment="test"))
    headers = bearer("bench", "ar_supervisor")
    timings = []
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://collections", timeout=120) as client:
        for _ in range(repeats):
            started = time.perf_counter()
            response = await client.get("/aging?as_of=2026-03-31&by=customer", headers=headers)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return timings


def main(args: argparse.Namespace) -> None:
    print(f"# collections bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} cores, load average "
          f"{load_average()}")
    if args.only != "aging":
        cash_application(args)
    if args.aging_items and args.only in (None, "aging"):
        timings = asyncio.run(aging_bench(args.aging_items, args.repeats))
        print(f"aging as of a date over {args.aging_items} open items (median of {args.repeats}): " + ", ".join(
            f"by {by} {statistics.median(t):.3f} s (min {min(t):.3f}, max {max(t):.3f})" for by, t in timings.items()))
    print(f"# done {datetime.now(UTC):%H:%M}Z, load average {load_average()}")


def cash_application(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    items, cases = generate(rng, payers=args.open_items // 10, items_per_payer=10, payments=args.payments)
    total_items = sum(len(v) for v in items.values())
    result = run_engine(items, cases, Config())
    should, matched, wrong = result["should"], result["matched"], result["wrong"]
    assert isinstance(should, int) and isinstance(matched, int) and isinstance(result["elapsed"], float)
    print(f"cash application: {len(cases)} payments against {total_items} open items")
    print(f"  auto-matched {matched} of {should} payments that have a true answer ({100 * matched / should:.1f} %),"
          f" wrong matches {wrong}; {len(cases) - should} payments must stay unapplied")
    print(f"  engine throughput {len(cases) / result['elapsed']:.0f} payments/s (one core, pure decision)")
    per_kind = result["per_kind"]
    assert isinstance(per_kind, dict)
    for kind in KINDS:
        n, ok, bad = per_kind.get(kind, [0, 0, 0])
        print(f"    {kind:<16} {n:>6} payments, {ok:>6} matched, {bad} wrong")
    print(f"  rules used: {result['rules']}")
    if args.db_workers and args.only in (None, "cash"):
        decided = result["decided"]
        assert isinstance(decided, list)
        if args.profile:
            os.makedirs(args.profile, exist_ok=True)
        rates = []
        for run in range(args.db_runs):
            if args.db_runs > 1:
                print(f"  database run {run + 1} of {args.db_runs}, {datetime.now(UTC):%H:%M:%S}Z")
            db = asyncio.run(database_bench(items, cases, args.db_workers, args.chunk, decided, args.profile))
            rates.append(db["booked"] / db["elapsed"])
            print(f"through the database ({args.db_workers} workers, chunks of {args.chunk}): {int(db['booked'])} "
                  f"payments booked in {db['elapsed']:.1f} s = {rates[-1]:.0f} payments/s; "
                  f"auto-matched {int(db['matched'])} of {should} ({100 * db['matched'] / should:.1f} %), "
                  f"wrong matches {int(db['wrong'])}; decisions differing from the engine's {int(db['differ'])}; "
                  f"{int(db['outbox'])} events in the outbox; load average {load_average()}")
            per = 1000 / max(db["booked"], 1)
            print(f"  CPU per payment: workers {db['workers_cpu'] * per:.2f} ms, "
                  f"PostgreSQL {db['postgres_cpu'] * per:.2f} ms")
        if len(rates) > 1:
            print(f"through the database, {len(rates)} runs: median {statistics.median(rates):.0f} payments/s "
                  f"(min {min(rates):.0f}, max {max(rates):.0f}); runs at 2,000 or more: "
                  f"{sum(r >= 2000 for r in rates)} of {len(rates)}")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--open-items", type=int, default=200_000)
    parser.add_argument("--aging-items", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db-runs", type=int, default=1,
                        help="book the payments through the database this many times, each in a fresh database, "
                             "and print the median (the host's speed moves from one run to the next)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--db-workers", type=int, default=1, help="import workers through the database (0: skip)")
    parser.add_argument("--chunk", type=int, default=CollectionsSettings.model_fields["import_chunk_lines"].default,
                        help="payments per import chunk (one transaction; default: the service's)")
    parser.add_argument("--profile", metavar="DIR", help="write each database worker's cProfile statistics to DIR")
    parser.add_argument("--only", choices=("engine", "cash", "aging"),
                        help="engine: the pure engine only; cash: engine and through the database; aging: aging only")
    main(parser.parse_args())
