"""Screenshots of the four review pages for docs/reviews.md, from demo-like data.

Starts an embedded PostgreSQL and the local broker (as the tests do), migrates a kpi database, feeds it a few
months of invoices, portal outcomes, disputes, escalations and quality reviews of three vendor teams through the
kpi service's own handlers, asks the service for each review as HTML and photographs it in headless Chromium
(tests/browser/chromium.py). Writes docs/img/review-<kind>.png and prints how long the service took to build each
review as HTML and as PDF.

    .venv/bin/python tools/review_screenshots.py [--out docs/img] [--invoices 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from o2c_cli.testing import MigratedDatabases, bearer, serving, start_test_infra  # noqa: E402
from o2c_common.events.contracts import collections as col, workforce as wf  # noqa: E402
from o2c_common.events.contracts.invoicing import InvoicePortalApproved, InvoicePortalRejected  # noqa: E402
from o2c_common.events.examples import example_payload  # noqa: E402
from o2c_kpi.clock import CLOCK_STATE_ATTR  # noqa: E402
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS  # noqa: E402
from o2c_kpi.main import create_app  # noqa: E402
from o2c_kpi.operations.handlers import HANDLERS as OPERATIONS_HANDLERS  # noqa: E402
from o2c_kpi.sla.handlers import handlers as sla_handlers  # noqa: E402
from services.kpi.tests.sla.conftest import Clock, settings_for, wrap  # noqa: E402
from services.kpi.tests.sla.test_report_reviews import escalation, ledger, reviewed  # noqa: E402
from tests.browser.chromium import Chromium  # noqa: E402

KINDS = ("daily-huddle", "weekly-cadence", "monthly-business-review", "qbr")
TEAMS = ("vendor-a", "vendor-b", "vendor-c")
REASONS = ("missing_po", "missing_po", "missing_po", "invalid_po", "price_mismatch", "tax_error", "unknown_ship_to")
ROOT_CAUSES = ("pricing", "pricing", "po", "master_data", "quality")
NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)  # Monday morning
SUPERVISOR = bearer("sue", "ar_supervisor")
TARGETS = [
    {"id": "fpa-monthly", "name": "First-pass acceptance per team, monthly", "metric": "first_pass_acceptance_rate",
     "scope_type": "team", "target": "95", "comparator": "ge", "unit": "percent", "window": "month",
     "severity": "P3"},
    {"id": "dso-monthly", "name": "DSO at most 45 days", "metric": "dso", "scope_type": "global", "target": "45",
     "comparator": "le", "unit": "days", "window": "month", "severity": "P2"},
]


def portal(team: str, at: datetime, rng: random.Random) -> Any:
    invoice_id = uuid.uuid4()
    ids = {"invoice_id": invoice_id, "invoice_number": f"US01-2026-{invoice_id.hex[:6]}", "legal_entity": "US01",
           "customer_id": f"CUST-{rng.randint(1, 9)}", "owning_team": team, "channel": "coupa"}
    if rng.random() < {"vendor-a": 0.08, "vendor-b": 0.2, "vendor-c": 0.12}[team]:
        return wrap(InvoicePortalRejected(**ids, submission_id=uuid.uuid4(), attempt=1, portal_reason_code="R-1",
                                          reason=rng.choice(REASONS), root_cause="po", rejection_count=1,
                                          rejected_at=at))
    return wrap(InvoicePortalApproved(**ids, submission_id=uuid.uuid4(), attempt=1, first_pass=True,
                                      submitted_at=at - timedelta(hours=2), approved_at=at))


def dispute(team: str, opened: datetime, rng: random.Random) -> list[Any]:
    ids = {"dispute_id": uuid.uuid4(), "currency": "USD", "amount": f"{rng.randint(50, 900)}.00",
           "reason": "pricing", "owning_team": team, "customer_id": "CUST-1", "legal_entity": "US01"}
    resolved = opened + timedelta(days=rng.randint(2, 12))
    return [wrap(example_payload(col.DisputeOpened, **ids, source="collector", opened_date=opened.date(),
                                 opened_at=opened)),
            wrap(example_payload(col.DisputeResolved, **ids, outcome="credited", root_cause=rng.choice(ROOT_CAUSES),
                                 resolved_by="carl", opened_at=opened, resolved_date=resolved.date(),
                                 resolved_at=resolved))]


def demo_events(invoices: int, rng: random.Random) -> list[Any]:
    events: list[Any] = [wrap(example_payload(wf.VendorChanged, vendor_id=uuid.uuid4(), code="acme",
                                              name="Acme BPO")),
                         wrap(example_payload(wf.VendorChanged, vendor_id=uuid.uuid4(), code="globex",
                                              name="Globex Services"))]
    events += [wrap(example_payload(wf.TeamChanged, team_id=uuid.uuid4(), team=team, vendor_code=vendor))
               for team, vendor in zip(TEAMS, ("acme", "acme", "globex"), strict=True)]
    start = date(2026, 7, 1)
    for _ in range(invoices):
        day = start + timedelta(days=rng.randint(0, (NOW.date() - start).days - 1))
        team = rng.choice(TEAMS)
        currency = "EUR" if rng.random() < 0.25 else "USD"
        events += ledger(f"{rng.randint(200, 9000)}.00", day, team=team, currency=currency)
        at = datetime.combine(day, datetime.min.time(), UTC).replace(hour=rng.randint(8, 17))
        events.append(portal(team, at + timedelta(days=1), rng))
    for n in range(30):
        opened = datetime(2026, 8, 1, 10, tzinfo=UTC) + timedelta(days=3 * n + rng.randint(0, 2))
        events += dispute(rng.choice(TEAMS), opened, rng)
    events += [escalation(team, NOW - timedelta(days=rng.randint(2, 30))) for team in (*TEAMS, "vendor-b")]
    wrong_po, late = ("wrong_po", "data", "Wrong PO number"), ("late_update", "process", "Status updated late")
    for n in range(60):
        team = TEAMS[n % 3]
        day = NOW.date() - timedelta(days=1 + n % 75)
        score = {"vendor-a": 95, "vendor-b": 82, "vendor-c": 90}[team] + rng.randint(-6, 5)
        events.append(reviewed(team, str(score), day, *([wrong_po] if score < 88 else []),
                               *([late] if score < 84 else [])))
    return events


async def feed(app: Any, events: list[Any]) -> None:
    transactions = app.state.transactions
    tables = [(FACT_HANDLERS, "system:kpi"), (OPERATIONS_HANDLERS, "system:kpi-operations"),
              (sla_handlers(), "system:kpi-sla")]
    for handlers, actor in tables:
        for event in events:
            if type(event.data) in handlers:
                async with transactions.begin(actor) as tx:
                    await handlers[type(event.data)](tx, event)


async def shoot(out: Path, invoices: int) -> list[Path]:
    rng = random.Random(17)  # noqa: S311 demo data, repeatable
    written = []
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        for infra in start_test_infra(base):
            async with MigratedDatabases(ROOT / "services" / "kpi", "kpidemo").database(infra) as db:
                app = create_app(settings_for(db.url, infra.kafka_bootstrap))
                setattr(app.state, CLOCK_STATE_ATTR, Clock(NOW))
                async with serving(app, base_url="http://kpi") as client:
                    for target in TARGETS:
                        (await client.post("/sla-definitions", json=target, headers=SUPERVISOR)).raise_for_status()
                    await feed(app, demo_events(invoices, rng))
                    chromium = Chromium.start(base / "profile")
                    try:
                        for kind in KINDS:
                            began = time.perf_counter()
                            page = await client.get(f"/reports/{kind}?date=2026-11-22",
                                                    headers={**SUPERVISOR, "Accept": "text/html"})
                            page.raise_for_status()
                            html_s = time.perf_counter() - began
                            began = time.perf_counter()
                            pdf = await client.get(f"/reports/{kind}?date=2026-11-22&format=pdf", headers=SUPERVISOR)
                            pdf.raise_for_status()
                            print(f"{kind}: HTML {html_s:.2f} s, PDF {time.perf_counter() - began:.2f} s "
                                  f"({len(pdf.content) // 1024} KiB); load {os.getloadavg()[0]:.2f}")
                            html = base / f"{kind}.html"
                            html.write_text(page.text, encoding="utf-8")
                            shot = chromium.open(html.as_uri(), probe="document.title", width=1280)
                            if shot.errors:
                                raise RuntimeError(f"{kind}: {shot.errors}")
                            target_file = out / f"review-{kind}.png"
                            target_file.write_bytes(shot.png)
                            written.append(target_file)
                    finally:
                        chromium.close()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--invoices", type=int, default=400, help="demo invoices over July to November 2026")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(args.out, args.invoices)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
