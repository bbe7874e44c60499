"""``python -m bench.operations``: the reviews' operations data in kpi (not a test).

Builds the ``kpi-operations`` read models of a busy quarter on a fresh database by running the group's handlers
over generated events in transactions of 500 (the consumer's fast path, without the broker): quality reviews,
portal rejections (with the invoices' AR rows for their amounts), disputes opened and resolved, escalation cases
with their corrective actions, capacity outlooks; then times ``review_operations`` (every team, and one team) for a
month against the month before, ``--repeats`` times each (p50/p99).

    python -m bench.operations [--reviews 20000] [--rejections 20000] [--disputes 5000] [--cases 5000]
                               [--teams 20] [--repeats 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.infra import Stats, bench_infra, load_average, machine
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv, workforce as wf
from o2c_common.events.examples import example_payload
from o2c_common.tx import Transactions
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS
from o2c_kpi.operations.handlers import HANDLERS
from o2c_kpi.operations.service import review_operations

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "kpi"
START = datetime(2026, 10, 1, tzinfo=UTC)  # October and November
DEFECTS = [("wrong_po", "data"), ("late_note", "communication"), ("tax_wrong", "compliance"), ("no_proof", "process")]


def _at(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randrange(61 * 24 * 60))


def events(args: argparse.Namespace, rng: random.Random) -> Iterator[EventPayload]:
    teams = [f"team-{i:02d}" for i in range(args.teams)]
    for i in range(0, args.teams, 4):
        yield example_payload(wf.VendorChanged, vendor_id=uuid.uuid4(), code=f"vendor-{i // 4}", name=f"Vendor {i}")
    for i, team in enumerate(teams):
        yield example_payload(wf.TeamChanged, team_id=uuid.uuid4(), team=team, vendor_code=f"vendor-{i // 4}")
    for _ in range(args.reviews):
        found = rng.sample(DEFECTS, rng.randrange(3))
        yield example_payload(wf.QualityReviewed, sample_id=uuid.uuid4(), team=rng.choice(teams),
                              score=Decimal(rng.randrange(60, 101)), defects=tuple(c for c, _ in found),
                              defect_types=tuple(wf.DefectType(code=c, category=k, label=c) for c, k in found),
                              reviewed_at=_at(rng))
    reasons = ["missing_po", "invalid_po", "tax_error", "price_mismatch", "unknown_ship_to", "format_error"]
    for _ in range(args.rejections):
        invoice_id = uuid.uuid4()
        team = rng.choice(teams)
        yield example_payload(inv.InvoiceIssued, invoice_id=invoice_id, owning_team=team,
                              amount=Decimal(rng.randrange(100, 100_000)), currency=rng.choice(("USD", "EUR")))
        yield example_payload(inv.InvoicePortalRejected, invoice_id=invoice_id, submission_id=uuid.uuid4(),
                              owning_team=team, reason=rng.choice(reasons), rejected_at=_at(rng))
    causes = ["master_data", "po", "pricing", "tax", "duplicate", "delivery"]
    for _ in range(args.disputes):
        opened = _at(rng)
        common = {"dispute_id": uuid.uuid4(), "owning_team": rng.choice(teams), "opened_at": opened,
                  "amount": Decimal(rng.randrange(10, 5_000))}
        yield example_payload(col.DisputeOpened, **common)
        if rng.random() < 0.7:
            yield example_payload(col.DisputeResolved, **common, root_cause=rng.choice(causes),
                                  resolved_at=opened + timedelta(days=rng.randrange(1, 20)))
    for n in range(args.cases):
        opened = _at(rng)
        fact: dict[str, Any] = {"case_id": uuid.uuid4(), "case_number": f"ESC-{n:06d}", "owning_team":
                                rng.choice(teams), "tier": "L1", "assignee": None}
        yield example_payload(esc.EscalationOpened, **fact, title=f"Case {n}", opened_at=opened)
        for a in range(rng.randrange(3)):
            yield example_payload(esc.CaseActionChanged, **fact, action_id=uuid.uuid4(), status="open",
                                  created_at=opened + timedelta(hours=a), changed_at=opened + timedelta(hours=a))
        if rng.random() < 0.6:
            yield example_payload(esc.EscalationResolved, **fact, opened_at=opened,
                                  resolved_at=opened + timedelta(days=rng.randrange(1, 30)))
    for process in ("case_handling", "invoice_submission", "cash_application", "dispute_resolution"):
        yield example_payload(wf.CapacityOutlookPublished, process=process, team=rng.choice(teams),
                              published_at=datetime(2026, 12, 1, tzinfo=UTC))


async def project(db: Database, payloads: list[EventPayload]) -> float:
    transactions = Transactions(db=db, source="/o2c/kpi")
    started = time.perf_counter()
    for i in range(0, len(payloads), 500):
        async with transactions.begin("system:kpi-operations") as tx:
            for payload in payloads[i:i + 500]:
                event = Event.new(payload, source=payload.expected_source())
                if isinstance(payload, inv.InvoiceIssued):
                    await FACT_HANDLERS[inv.InvoiceIssued](tx, event)  # the AR row rejection amounts come from
                else:
                    await HANDLERS[type(payload)](tx, event)
    return time.perf_counter() - started


async def run(infra: Infra, args: argparse.Namespace) -> dict[str, Any]:
    url = await infra.create_database("o2c_kpi_bench_operations")
    await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    payloads = list(events(args, random.Random(17)))
    db = Database(url, pool_size=2)
    try:
        seconds = await project(db, payloads)
        out: dict[str, Any] = {"events": len(payloads), "project_s": seconds}
        transactions = Transactions(db=db, source="/o2c/kpi")
        for label, team in (("every team", None), ("one team", "team-03")):
            times = []
            for _ in range(args.repeats):
                async with transactions.begin("system:bench") as tx:
                    started = time.perf_counter()
                    read = await review_operations(tx, start=date(2026, 11, 1), end=date(2026, 11, 30),
                                                   previous_start=date(2026, 10, 1), previous_end=date(2026, 10, 31),
                                                   team=team)
                    times.append(time.perf_counter() - started)
            assert read.current.quality is not None and read.current.quality.overall.reviewed > 0
            out[label] = Stats.of_seconds(times)
        return out
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=20_000)
    parser.add_argument("--rejections", type=int, default=20_000)
    parser.add_argument("--disputes", type=int, default=5_000)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"# operations bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"load average at start (1/5/15 min): {load_average(' / ')}")
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-operations-"))
    try:
        with bench_infra(data_dir) as infra:
            r = asyncio.run(run(infra.infra, args))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"projected {r['events']:,} events in {r['project_s']:.1f} s ({r['events'] / r['project_s']:,.0f} events/s, "
          f"handlers in transactions of 500, no broker)")
    for label in ("every team", "one team"):
        st = r[label]
        print(f"review_operations, {label:<10}: p50 {st.p50:6.1f} ms  p99 {st.p99:6.1f} ms  (n={st.n})")
    print(f"load average at end (1/5/15 min): {load_average(' / ')}")


if __name__ == "__main__":
    main()
