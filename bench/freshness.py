"""(c) End-to-end freshness: from sending ``POST /invoices/{id}/issue`` (the call that emits ``invoice.issued``)
to the moment the kpi read model holds the invoice, at a constant open-loop write rate, with the four services
running as in dev. The invoices are prepared and approved (maker-checker) before the measurement starts; only
the issuing writes are timed, from a drained pipeline (every group has read the preparation's approvals first).

Visibility is watched without going through the services: one asyncpg connection polls the kpi
database (``receivable_movements.invoice_id``, indexed) every ``poll_interval`` for the invoices
still pending, and records the end of the first query that returns each. An invoice id is known
once its POST answered, so it is watched from then on.

The profile splits every invoice's freshness with the databases' own clocks (same machine, same
clock as the bench): the issuing transaction's commit time (``pg_xact_commit_timestamp`` of its status-history
row, which is why the bench runs PostgreSQL with track_commit_timestamp), the outbox row's ``created_at`` (transaction
start) and ``published_at`` (set right after the broker acknowledged); the same for the hop through collections,
which opens the receivable on ``invoice.issued`` and publishes ``receivable.changed`` (its inbox row's ``received_at``,
the start of its consumer's transaction, and its outbox row); then the kpi inbox row's ``received_at`` for that event
and the kpi movement's commit time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import pg_stats
from bench.cpu import CpuMeter, ms_per_unit
from bench.freshness_profile import profile
from bench.infra import Stats, load_average, pipeline_drained, published_events
from bench.raw_http import Connection
from o2c_cli.localstack import free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack, StackConfig
from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.db.database import asyncpg_dsn
from o2c_common.settings import DEV_JWT_SECRET

Progress = Callable[[str, int], Callable[[int], None]]
LEGAL_ENTITIES = ("US01", "DE01", "GB01", "FR01", "NL01", "SG01", "JP01", "BR01")

_POLL = "SELECT invoice_id FROM receivable_movements WHERE invoice_id = ANY($1::uuid[])"
COMPONENTS = (  # (key, label, from, to): the parts add up to the freshness
    ("client", "POST due → sent (waiting for a free connection)", "due", "send"),
    ("api", "POST sent → invoice committed (API)", "send", "api_commit"),
    ("api_pre_tx", "  of which: sent → transaction start", "send", "tx_start"),
    ("api_tx", "  of which: transaction start → commit", "tx_start", "api_commit"),
    ("relay", "invoice committed → broker acked (relay)", "api_commit", "acked"),
    ("to_ledger", "broker acked → collections consumer transaction start", "acked", "c_received"),
    ("ledger", "collections transaction start → receivable.changed acked", "c_received", "c_acked"),
    ("delivery", "receivable.changed acked → kpi consumer transaction start", "c_acked", "received"),
    ("apply", "kpi transaction start → commit", "received", "kpi_commit"),
    ("observe", "kpi commit → seen by the bench's poller", "kpi_commit", "seen"),
)


@dataclass
class FreshnessConfig:
    rate: float = 200.0
    duration: float = 30.0
    entities: int = 4
    poll_interval: float = 0.005
    max_in_flight: int = 32
    warmup: int = 40
    settle_timeout: float = 60.0
    pg_stats_dsn: str | None = None  # --pg-stats: the statements of the load (bench.pg_stats)


@dataclass
class Sample:
    i: int
    target: float  # when the open-loop schedule says the POST is due
    prepared: tuple[str, str] = ("", "")  # (approved invoice id, its ETag)
    enqueued: float = 0.0
    send: float = 0.0
    recv: float = 0.0
    status: int = 0
    error: str = ""
    invoice_id: uuid.UUID | None = None
    seen: float = 0.0
    polls: int = 0
    t: dict[str, float] = field(default_factory=dict)


class Poller:
    """Polls the kpi read model for watched invoice ids on one connection."""

    def __init__(self, conn: asyncpg.Connection, interval: float) -> None:
        self.conn, self.interval = conn, interval
        self.pending: dict[uuid.UUID, Sample] = {}
        self.query_seconds: list[float] = []
        self.first_poll_hits = 0
        self._stopping = False

    def watch(self, sample: Sample) -> None:
        assert sample.invoice_id is not None
        self.pending[sample.invoice_id] = sample

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        while not self._stopping:
            if self.pending:
                ids = list(self.pending)
                started = time.time()
                rows = await self.conn.fetch(_POLL, ids)
                now = time.time()
                self.query_seconds.append(now - started)
                for (invoice_id,) in rows:
                    sample = self.pending.pop(invoice_id, None)
                    if sample is not None:
                        sample.seen = now
                        self.first_poll_hits += sample.polls == 0
                for invoice_id in ids:
                    if invoice_id in self.pending:
                        self.pending[invoice_id].polls += 1
            await asyncio.sleep(self.interval)

    async def drained(self, within: float) -> None:
        deadline = time.time() + within
        while self.pending and time.time() < deadline:  # noqa: ASYNC110 - another task empties it
            await asyncio.sleep(0.05)


def _body(i: int, entities: int) -> dict[str, Any]:
    return {"legal_entity": LEGAL_ENTITIES[i % entities], "customer_id": f"BENCH-{i % 500:04d}",
            "currency": "USD", "payment_terms_days": 30, "po_number": f"PO-BENCH-{i:07d}",
            "lines": [{"description": "Bench widgets", "quantity": "3", "unit_price": "33.335", "tax_rate": "0.10"}]}


async def prepare(clients: list[httpx.AsyncClient], *, n: int, entities: int, offset: int,
                  approver: dict[str, str], progress: Callable[[int], None] | None = None) -> list[tuple[str, str]]:
    """Create, request approval of and approve (as another person) ``n`` invoices; not measured."""
    prepared: list[tuple[str, str]] = [("", "")] * n
    todo = list(range(n))

    async def worker(client: httpx.AsyncClient) -> None:
        while todo:
            i = todo.pop()
            created = (await client.post("/invoices", json=_body(offset + i, entities))).raise_for_status()
            invoice_id, etag = created.json()["id"], created.headers["ETag"]
            for action, headers in (("request-approval", {}), ("approve", approver)):
                step = (await client.post(f"/invoices/{invoice_id}/{action}",
                                          headers={"If-Match": etag, **headers})).raise_for_status()
                etag = step.headers["ETag"]
            prepared[i] = (invoice_id, etag)
            if progress is not None:
                progress(1)

    await asyncio.gather(*(worker(c) for c in clients))
    return prepared


async def drive(port: int, poller: Poller, *, connections: int, n: int, rate: float, token: str,
                prepared: list[tuple[str, str]], progress: Callable[[int], None] | None = None) -> list[Sample]:
    """Open loop: POST i is due at start + i/rate whatever the previous ones are doing. At most one POST per
    connection is outstanding (raw keep-alive HTTP/1.1, opened here so that none sat idle past the server's
    keep-alive: httpx's CPU a request would be taken from the services); a due POST waits for a free connection, and
    that wait counts (freshness is from the due time)."""
    queue: asyncio.Queue[Sample | None] = asyncio.Queue()
    authorization = f"Bearer {token}"

    async def worker(conn: Connection) -> None:
        while (s := await queue.get()) is not None:
            s.send = time.time()
            invoice_id, etag = s.prepared
            try:
                status, _, body = await asyncio.wait_for(conn.request(
                    "POST", f"/invoices/{invoice_id}/issue",
                    headers={"Authorization": authorization, "If-Match": etag}), 60)
                s.recv, s.status = time.time(), status
                if status == 200:
                    s.invoice_id = uuid.UUID(json.loads(body)["id"])
                    poller.watch(s)
                else:
                    s.error = body[:200].decode(errors="replace")
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                s.recv, s.error = time.time(), f"{type(exc).__name__}: {exc}"
                await conn.reopen()
            if progress is not None:
                progress(1)

    opened = [await Connection.open(port) for _ in range(min(connections, n))]
    workers = [asyncio.create_task(worker(c)) for c in opened]
    start = time.time() + 0.02
    samples = [Sample(i, start + i / rate, prepared[i]) for i in range(n)]
    try:
        for s in samples:
            delay = s.target - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            s.enqueued = time.time()
            queue.put_nowait(s)
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        for conn in opened:
            conn.close()
    return samples


def summarize(cfg: FreshnessConfig, samples: list[Sample], poller: Poller) -> dict[str, Any]:
    ok = [s for s in samples if s.status == 200]
    seen = [s for s in ok if s.seen]
    span = samples[-1].enqueued - samples[0].enqueued
    components: dict[str, Any] = {}
    for key, label, a, b in COMPONENTS:
        values = [s.t[b] - s.t[a] for s in seen if s.t.get(a) and s.t.get(b)]
        components[key] = {"label": label, **Stats.of_seconds(values).as_dict()}
    errors = Counter(s.error[:80] or str(s.status) for s in samples if s.status != 200)
    return {
        "rate": cfg.rate, "duration_s": cfg.duration, "legal_entities": cfg.entities,
        "poll_interval_ms": cfg.poll_interval * 1000,
        "sent": len(samples), "ok": len(ok), "errors": dict(errors), "seen": len(seen), "unseen": len(ok) - len(seen),
        "achieved_rate": round((len(samples) - 1) / span, 1) if span else 0.0,
        "completed_rate": round(len(ok) / (max(s.recv for s in ok) - samples[0].target), 1) if ok else 0.0,
        "max_in_flight": cfg.max_in_flight,
        "schedule_slip": Stats.of_seconds([s.enqueued - s.target for s in samples]).as_dict(),
        "write_latency": Stats.of_seconds([s.recv - s.send for s in ok]).as_dict(),
        "write_latency_from_due": Stats.of_seconds([s.recv - s.target for s in ok]).as_dict(),
        "freshness": Stats.of_seconds([s.seen - s.target for s in seen]).as_dict(),
        "freshness_to_kpi_commit": Stats.of_seconds([s.t["kpi_commit"] - s.target for s in seen
                                                     if s.t.get("kpi_commit")]).as_dict(),
        "components": components,
        "poll_query": Stats.of_seconds(poller.query_seconds).as_dict(),
        "seen_on_first_poll": poller.first_poll_hits,
    }


async def _measure(stack: Stack, cfgs: list[FreshnessConfig], progress: Progress | None,
                   cpu: dict[str, dict[str, int]], note: Callable[[str], None] = print) -> list[dict[str, Any]]:
    token = mint_token(secret=DEV_JWT_SECRET, subject="bench", roles=["billing_specialist"],
                       ttl=timedelta(hours=2), issuer="o2c", audience="o2c")
    approver_token = mint_token(secret=DEV_JWT_SECRET, subject="bench-approver", roles=["billing_approver"],
                                ttl=timedelta(hours=2), issuer="o2c", audience="o2c")
    approver = {"Authorization": f"Bearer {approver_token}"}
    port = stack.config.ports["invoicing"]
    base = f"http://127.0.0.1:{port}"
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pids = {name: proc.pid for name, proc in stack.processes.items()} | cpu.get("pids", {})
    results = []
    async with contextlib.AsyncExitStack() as stack_of_clients:
        clients = [await stack_of_clients.enter_async_context(httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60, limits=one))
            for _ in range(max(c.max_in_flight for c in cfgs))]
        for number, cfg in enumerate(cfgs):
            kpi = await asyncpg.connect(asyncpg_dsn(stack.database_url(SERVICES["kpi"])))
            poller = Poller(kpi, cfg.poll_interval)
            poll_task = asyncio.create_task(poller.run())
            try:
                # Warm-up (not measured): connections, caches, the consumers' partitions; and a drained pipeline.
                ready = await prepare(clients[:cfg.max_in_flight], n=cfg.warmup, entities=cfg.entities,
                                      offset=(2 * number + 1) * 1_000_000, approver=approver)
                warm = await drive(port, poller, connections=cfg.max_in_flight, n=cfg.warmup,
                                   rate=min(cfg.rate, 50), token=token, prepared=ready,
                                   progress=progress("warm-up writes", cfg.warmup) if progress else None)
                await poller.drained(60)
                if poller.pending or not all(s.status == 200 for s in warm):
                    raise RuntimeError(f"warm-up failed: {[s.error for s in warm if s.error][:3]}; "
                                       f"{len(poller.pending)} invoices never reached kpi")
                poller.first_poll_hits, poller.query_seconds = 0, []
                n = max(1, int(cfg.rate * cfg.duration))
                ready = await prepare(clients[:cfg.max_in_flight], n=n, entities=cfg.entities,
                                      offset=2 * number * 1_000_000, approver=approver,
                                      progress=progress("preparing approved invoices", n) if progress else None)
                drained = await pipeline_drained(stack)
                if drained is None:
                    raise RuntimeError("the events of the prepared invoices were not all read within 120 s")
                held = await published_events(stack)
                await pg_stats.reset(cfg.pg_stats_dsn)
                waits = pg_stats.Waits(cfg.pg_stats_dsn)
                meter = CpuMeter(pids, cpu.get("trees"))
                load_before = os.getloadavg()[0]
                meter.start()
                await waits.start()
                samples = await drive(port, poller, connections=cfg.max_in_flight, n=n, rate=cfg.rate,
                                      token=token, prepared=ready,
                                      progress=progress(f"POST /invoices/{{id}}/issue at {cfg.rate:g}/s", n)
                                      if progress else None)
                usage = meter.stop()
                places = await waits.stop()
                await poller.drained(cfg.settle_timeout)
                # every process's CPU from the first POST until the last invoice reached kpi, per write seen there
                whole = meter.stop()
                seen = sum(1 for s in samples if s.seen)
                per_write = ms_per_unit(whole, meter.window_s, seen)
                statements = await pg_stats.top(cfg.pg_stats_dsn)  # before the profile's own queries
            finally:
                poller.stop()
                await poll_task
                await kpi.close()
            await profile(stack, samples)
            result = summarize(cfg, samples, poller)
            result["cpu_percent"] = usage
            result["cpu_ms_per_write"] = per_write
            result["cpu_window_s"] = round(meter.window_s, 2)
            result["statements"] = statements
            result["waits"] = places
            note(f"{cfg.rate:g} writes/s offered: CPU per write (ms) until the last reached kpi, "
                 f"{meter.window_s:.1f} s: " + ", ".join(f"{k} {v:.2f}" for k, v in per_write.items())
                 + f"; load average {load_average()}")
            result["load_average_before"] = round(load_before, 2)
            result["broker_records_before"] = held
            result["drained_before_s"] = round(drained, 1)
            results.append(result)
    return results


def run_freshness(infra: Infra, data_dir: Path, cfgs: list[FreshnessConfig], *, progress: Progress | None = None,
                  note: Callable[[str], None] = print, cpu: dict[str, dict[str, int]] | None = None,
                  ) -> list[dict[str, Any]]:
    """Start the four services against the bench's PostgreSQL and broker (settings as ``o2c dev``),
    measure each load in turn, and stop them again whatever happens. ``cpu`` names further processes
    to meter: ``{"pids": {name: pid}, "trees": {name: parent pid}}``."""
    stack = Stack(StackConfig(data_dir=data_dir, external_pg_url=infra.pg_url, external_kafka=infra.kafka_bootstrap,
                              ports={name: free_port() for name in SERVICES}))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        stack.create_databases()
        stack.create_topics()
        for service in SERVICES.values():
            stack.migrate(service)
        started = time.monotonic()
        for service in SERVICES.values():
            stack.start_service(service)
        for service in SERVICES.values():
            stack.wait_ready(service, timeout=120)
        note(f"four services ready in {time.monotonic() - started:.1f}s (logs in {data_dir / 'logs'})")
        return asyncio.run(_measure(stack, cfgs, progress, cpu or {}, note))
    finally:
        stack.stop()
