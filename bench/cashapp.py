"""``python -m bench.cashapp``: cash application that reads remittances (issue 18), per shape (not a test).

A generated data set whose true answer is known. Every answerable payment has a same-amount twin among its payer's
open items, so the amount alone proves nothing and only the remittance can decide:

- ``free_text``: the number inside a sentence and in its usual variants (``PAYMENT FOR INV US01-2026-000123``,
  ``inv#US012026123``, ``US01-2026-123``, ``US01-2026-000123/2026``, ``RE INVOICE NO US012026000123``);
- ``several_in_line``: ``INVOICES US01-2026-000123 124 125``, the payment their total;
- ``po_number``: the customer's PO number instead of the invoice number;
- ``group``: a parent company paying its subsidiary's invoice (customer groups of the account master);
- ``discount_in_window`` / ``discount_late``: 2/10 net 30 paid at 98 % within / after the ten days (a discount /
  a deduction: both applied);
- ``learned_format``: the payer's own way of writing numbers (``K1234/123/26``), learned from a manual application;
- ``alias``: no customer id from the bank, the payer name learned as the customer's;
- ``typo_in_text``: the number mistyped in the text (a digit changed): answerable for a person, not for the engine,
  which must not guess between the twins — counted as missed;

and shapes that must stay unapplied: ``short_outside_band`` (issue 13.3: 50 % paid), ``foreign_in_text`` (the text
also names another payer's invoice), ``twins_no_reference``.

(a) the engine, as the service calls it (payer, group and referenced items, the payer's formats, the alias);
(b) through the database: the open items (with PO numbers and discount terms), the account master's groups and the
    learned patterns loaded into an embedded PostgreSQL, the payments uploaded as CSV bank files and booked by the
    import job's chunk step in worker processes (``bench.cash_booking.book_import``), the outcome read back from
    ``applications``. Per shape: auto applied, correctly left unapplied, wrong, missed.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import random
import re
import time
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bench.cash_booking import book_import
from bench.collections_db import embedded_database
from bench.infra import load_average
from o2c_collections.cashapp.engine import Cash, Config, Item, Line, decide
from o2c_collections.cashapp.references import Format, extract, invoice_keys, learn_format, normalise
from o2c_collections.payments.imports import start
from o2c_common.auth import Principal
from o2c_common.db import Database
from o2c_common.tx import Transactions

SHAPES = {"free_text": 25, "several_in_line": 10, "po_number": 10, "group": 10, "discount_in_window": 8,
          "discount_late": 5, "learned_format": 10, "alias": 7, "typo_in_text": 3, "short_outside_band": 5,
          "foreign_in_text": 5, "twins_no_reference": 5}
UNANSWERABLE = {"short_outside_band", "foreign_in_text", "twins_no_reference"}
ISSUED, PAID_ON_TIME, PAID_LATE = date(2026, 6, 1), date(2026, 6, 9), date(2026, 6, 20)


@dataclass
class Case:
    shape: str
    cash: Cash
    truth: set[uuid.UUID]
    payer_name: str | None = None


@dataclass
class World:
    items: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    parents: dict[str, str] = field(default_factory=dict)
    formats: dict[str, list[Format]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)
    sequence: int = 0

    def issue(self, customer: str, amount: Decimal, *, po: str | None = None, discount: bool = False) -> Item:
        self.sequence += 1
        item = Item(uuid.uuid4(), f"US01-2026-{self.sequence:06d}", customer, "USD", amount,
                    ISSUED + timedelta(days=30), po_number=po, discount_percent=Decimal(2) if discount else None,
                    discount_until=ISSUED + timedelta(days=10) if discount else None)
        self.items[customer].append(item)
        return item


def variant(number: str, rng: random.Random) -> str:
    """The invoice number as a payer writes it in free text."""
    bare = normalise(number)
    dropped = re.sub(r"-0+(\d)", r"-\1", number)
    return rng.choice([f"PAYMENT FOR INV {number}", f"inv#{normalise(dropped)}", dropped, f"{number}/2026",
                       f"RE INVOICE NO {bare} THANK YOU", f"Zahlung Rechnung {number}"])


def amount(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(5_000, 5_000_000)) / 100


def generate(rng: random.Random, *, payments: int, payers: int) -> World:
    world = World()
    names = [f"C{p:06d}" for p in range(payers)]
    for n, payer in enumerate(names):
        if n % 3:  # every third payer is a parent of the next two
            world.parents[payer] = names[n - n % 3]
        for _ in range(3):  # background open items
            world.issue(payer, amount(rng))
    shapes, weights = list(SHAPES), list(SHAPES.values())
    for _ in range(payments):
        shape = rng.choices(shapes, weights)[0]
        payer = rng.choice(names[::3] if shape == "group" else names)
        world.cases.append(make_case(world, shape, payer, names, rng))
    return world


def make_case(world: World, shape: str, payer: str, names: list[str], rng: random.Random) -> Case:
    value = amount(rng)
    owner = payer
    if shape == "group":
        children = [c for c, p in world.parents.items() if p == payer]
        if not children:
            shape = "free_text"
        else:
            owner = rng.choice(children)
    discount = shape.startswith("discount")
    po = f"PO-45{world.sequence:08d}" if shape == "po_number" else None
    a = world.issue(owner, value, po=po, discount=discount)
    world.issue(payer, value, po=f"PO-46{world.sequence:08d}" if po else None, discount=discount)  # the twin
    paid_on = PAID_LATE if shape == "discount_late" else PAID_ON_TIME
    remit = variant(a.invoice_number, rng)
    cash_amount, truth, payer_name = value, {a.invoice_id}, None
    customer: str | None = payer
    if shape == "several_in_line":
        b, c = world.issue(payer, amount(rng)), world.issue(payer, amount(rng))
        remit = f"INVOICES {a.invoice_number} {int(b.invoice_number[-6:])} {int(c.invoice_number[-6:])}"
        cash_amount, truth = value + b.open_amount + c.open_amount, {a.invoice_id, b.invoice_id, c.invoice_id}
    elif shape == "po_number":
        remit = rng.choice([f"OUR ORDER {po[3:]}", f"PO {po}", f"PURCHASE ORDER {po[3:]} PAYMENT"])  # type: ignore
    elif discount:
        cash_amount = (value * Decimal("0.98")).quantize(Decimal("0.01"))
    elif shape == "learned_format":
        crc = zlib.crc32(payer.encode())
        code = "K" + "".join(chr(65 + (crc >> (5 * k)) % 26) for k in range(3))
        seq = int(a.invoice_number[-6:])
        remit = f"{code}/{seq}/26"
        if payer not in world.formats:
            taught = learn_format(f"{code}/7/26", "US01-2026-000007", format_id=f"f-{payer}")
            assert taught is not None
            world.formats[payer] = [taught]
    elif shape == "alias":
        payer_name = f"{payer} HOLDINGS LTD"
        world.aliases[normalise(payer_name)] = payer
        customer = None
    elif shape == "short_outside_band":
        cash_amount, truth = (value / 2).quantize(Decimal("0.01")), set()
    elif shape == "foreign_in_text":
        # an outsider's invoice (a customer of no group, paying nothing here)
        foreign = world.issue(f"X{world.sequence:06d}", amount(rng))
        remit, truth = f"INVOICES {a.invoice_number} AND {foreign.invoice_number}", set()
    elif shape == "typo_in_text":
        digits = list(a.invoice_number)
        digits[-2] = "9" if digits[-2] != "9" else "8"
        remit = f"PAYMENT FOR INV {''.join(digits)}"
    elif shape == "twins_no_reference":
        remit, truth = "PAYMENT THANK YOU", set()
    return Case(shape, Cash(cash_amount, "USD", customer, (Line(remit),), value_date=paid_on), truth, payer_name)


def group_of(world: World, customer: str) -> list[str]:
    root = world.parents.get(customer, customer)
    members = {root, *(c for c, p in world.parents.items() if p == root)}
    members.discard(customer)
    return sorted(members)


def run_engine(world: World, config: Config) -> tuple[dict[str, list[int]], float]:
    """Each payment decided as the service does; per shape [payments, applied right, left unapplied right, wrong,
    missed]."""
    by_key: dict[str, list[Item]] = defaultdict(list)
    for rows in world.items.values():
        for i in rows:
            for k in invoice_keys(i.invoice_number):
                by_key[k].append(i)
    open_amount = {i.invoice_id: i.open_amount for rows in world.items.values() for i in rows}
    per_shape: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    started = time.perf_counter()
    for case in world.cases:
        customer = case.cash.customer_id or world.aliases.get(normalise(case.payer_name))
        cash = Cash(case.cash.amount, case.cash.currency, customer, case.cash.lines, case.cash.value_date)
        formats = world.formats.get(customer or "", [])
        keys = {r.key for li in cash.lines for r in extract(li.reference, field="f", formats=formats)}

        def now(items: list[Item]) -> list[Item]:
            return [Item(i.invoice_id, i.invoice_number, i.customer_id, i.currency, open_amount[i.invoice_id],
                         i.due_date, i.po_number, i.discount_percent, i.discount_until)
                    for i in items if open_amount[i.invoice_id] > 0]

        group = [i for g in (group_of(world, customer) if customer else []) for i in world.items[g]]
        referenced = [i for k in keys for i in by_key.get(k, ())]
        decision = decide(cash, payer_items=now(world.items[customer] if customer else []), group_items=now(group),
                          referenced_items=now(referenced), config=config, formats=formats)
        applied = {a.invoice_id for a in decision.allocations}
        tally(per_shape[case.shape], applied, case.truth)
        for a in decision.allocations:
            open_amount[a.invoice_id] -= a.amount + a.write_off + a.deduction + a.discount
    return dict(per_shape), time.perf_counter() - started


def tally(row: list[int], applied: set[uuid.UUID], truth: set[uuid.UUID]) -> None:
    row[0] += 1
    if applied and applied <= truth:
        row[1] += 1
    elif not applied and not truth:
        row[2] += 1
    elif applied:
        row[3] += 1
    else:
        row[4] += 1


def report(title: str, per_shape: dict[str, list[int]]) -> None:
    print(title)
    print(f"    {'shape':<20} {'payments':>8} {'applied':>8} {'left ok':>8} {'wrong':>6} {'missed':>7}")
    for shape in SHAPES:
        n, ok, left, bad, missed = per_shape.get(shape, [0, 0, 0, 0, 0])
        print(f"    {shape:<20} {n:>8} {ok:>8} {left:>8} {bad:>6} {missed:>7}")
    answerable = sum(v[0] for s, v in per_shape.items() if s not in UNANSWERABLE)
    applied = sum(v[1] for s, v in per_shape.items() if s not in UNANSWERABLE)
    wrong = sum(v[3] for v in per_shape.values())
    left = sum(v[2] for s, v in per_shape.items() if s in UNANSWERABLE)
    must_stay = sum(v[0] for s, v in per_shape.items() if s in UNANSWERABLE)
    print(f"  applied automatically {applied} of {answerable} answerable payments ({100 * applied / answerable:.1f} %)"
          f", wrong {wrong}; left unapplied correctly {left} of {must_stay}")


async def load(db: Database, world: World) -> None:
    records = [(i.invoice_id, i.invoice_number, "US01", i.customer_id, i.currency, i.open_amount, i.open_amount,
                ISSUED, i.due_date, "open", i.po_number, i.discount_percent, i.discount_until)
               for rows in world.items.values() for i in rows]
    accounts = [(c, world.parents.get(c), 1) for c in world.items]
    patterns = [(uuid.uuid4(), payer, "reference_format", f.pattern, f.number, f.width, "K/1/26", "US01-2026-000001",
                 uuid.uuid4(), "bench") for payer, fs in world.formats.items() for f in fs]
    patterns += [(uuid.uuid4(), payer, "alias", name, None, None, name, "US01-2026-000001", uuid.uuid4(), "bench")
                 for name, payer in world.aliases.items()]
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table("accounts", records=[a for a in accounts if a[1] is None], columns=[
            "customer_id", "parent_customer_id", "version"])
        await driver.copy_records_to_table("accounts", records=[a for a in accounts if a[1] is not None], columns=[
            "customer_id", "parent_customer_id", "version"])
        await driver.copy_records_to_table("open_items", records=records, columns=[
            "invoice_id", "invoice_number", "legal_entity", "customer_id", "currency", "original_amount", "open_amount",
            "issue_date", "due_date", "status", "po_number", "discount_percent", "discount_until"])
        await driver.copy_records_to_table("cashapp_patterns", records=patterns, columns=[
            "id", "customer_id", "kind", "value", "number", "width", "example", "invoice_number", "payment_id",
            "learned_by"])
        await driver.execute("""INSERT INTO ledger_entries (invoice_id, sequence, kind, amount, effective_date,
            customer_id, legal_entity, currency, owning_team, due_date) SELECT invoice_id, 1, 'invoice',
            original_amount, issue_date, customer_id, legal_entity, currency, owning_team, due_date FROM open_items""")
        await driver.execute("UPDATE open_items SET entries = 1")
        await driver.execute("VACUUM ANALYZE")
        await conn.commit()


def bank_files(world: World, workers: int) -> list[bytes]:
    """CSV bank files, one per worker, split by customer group: one group's payments (which lock the group's open
    items) are booked in order by one worker, never by two chunk transactions waiting on each other."""
    rows: list[list[str]] = [[] for _ in range(workers)]
    for n, case in enumerate(world.cases):
        payer = case.cash.customer_id or world.aliases[normalise(case.payer_name)]
        root = world.parents.get(payer, payer)  # a group's payments on one worker: they lock each other's items
        remit = case.cash.lines[0].reference or ""
        assert not set(remit) & {",", ";", ":"}
        rows[zlib.crc32(root.encode()) % workers].append(
            f"P{n},{case.cash.value_date},USD,{case.cash.amount},{case.cash.customer_id or ''},"
            f"{case.payer_name or ''},{remit}")
    header = "bank_reference,value_date,currency,amount,customer_id,payer_name,remittance"
    return [("\n".join([header, *r]) + "\n").encode() for r in rows]


async def database_run(world: World, workers: int, chunk: int) -> tuple[dict[str, list[int]], float, int]:
    async with embedded_database("o2c_collections_cashapp") as db:
        await load(db, world)
        who = Principal(subject="bench", roles=frozenset({"bank_file_importer"}), kind="service")
        transactions = Transactions(db=db, source="/o2c/collections")
        jobs = []
        for n, content in enumerate(bank_files(world, workers)):
            async with transactions.begin(who) as tx:
                job, _ = await start(tx, content=content, file_format="csv", legal_entity="US01",
                                     filename=f"bench-{n}.csv")
            jobs.append(job.id)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(max_workers=len(jobs)) as pool:
            await asyncio.gather(*(loop.run_in_executor(pool, book_import, db.url, str(j), chunk) for j in jobs))
        elapsed = time.perf_counter() - started
        async with db.unit_of_work() as s:
            applied = dict((await s.execute(text(
                "SELECT p.bank_reference, array_agg(a.invoice_id) FROM payments p JOIN applications a "
                "ON a.payment_id = p.id GROUP BY p.bank_reference"))).all())
            booked = int(await s.scalar(text("SELECT count(*) FROM payments")) or 0)
        per_shape: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for n, case in enumerate(world.cases):
            tally(per_shape[case.shape], set(applied.get(f"P{n}", [])), case.truth)
        return dict(per_shape), elapsed, booked


def main(args: argparse.Namespace) -> None:
    print(f"# cash application by shape {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} cores, load average "
          f"{load_average()}")
    world = generate(random.Random(args.seed), payments=args.payments, payers=max(3, args.payments // 5))
    total = sum(len(v) for v in world.items.values())
    per_shape, elapsed = run_engine(world, Config())
    report(f"(a) engine: {len(world.cases)} payments against {total} open items, "
           f"{len(world.cases) / elapsed:.0f} payments/s on one core", per_shape)
    if args.db_payments:
        small = generate(random.Random(args.seed), payments=args.db_payments, payers=max(3, args.db_payments // 5))
        per_shape, elapsed, booked = asyncio.run(database_run(small, args.db_workers, args.chunk))
        report(f"(b) through the database: {booked} payments booked in {elapsed:.1f} s = {booked / elapsed:.0f} "
               f"payments/s ({args.db_workers} workers, chunks of {args.chunk})", per_shape)
    print(f"# done {datetime.now(UTC):%H:%M}Z, load average {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=100_000, help="payments for the engine run")
    parser.add_argument("--db-payments", type=int, default=10_000, help="payments through the database (0: skip)")
    parser.add_argument("--db-workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--seed", type=int, default=18)
    main(parser.parse_args())
