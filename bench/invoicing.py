"""``python -m bench.invoicing``: invoicing figures on this machine (not a test).

The service runs as it is deployed: one uvicorn worker (uvloop, httptools) in its own process, API only (no
relay or consumers), against the bench's own embedded PostgreSQL with durable settings; the portal simulator
runs in a third process (callbacks off, so that each step measures one thing). The load generator in this
process speaks HTTP/1.1 over raw keep-alive connections (one request in flight per connection) so that it
takes little of the CPU the service needs. On the same invoices, step after step:

created (POST /invoices), approved (request-approval by the preparer + approve by another person), issued
(gapless number, outbox event), submitted (portal rules, cXML built and POSTed to the simulator, submission
row, outbox event); per step: invoices per second, p50 and p99 latency. The load average is printed before and
after: other work on the machine shows in the figures; the service process's CPU per invoice (from /proc) shows
what one worker would sustain on a free core (1000 / CPU ms per second).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.infra import load_average
from bench.raw_http import Connection
from o2c_cli.localstack import EmbeddedPostgres, free_port, wait_for_port
from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.db.migrate import upgrade
from o2c_common.settings import DEV_JWT_SECRET

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "invoicing"
CUSTOMER = "BENCH-1"
PROFILE = {"name": "Bench Corp", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
           "portal_account": "bench-coupa", "tax_id": "US-00-0000000", "rules": {"po_required": True}}
BODY = json.dumps({"legal_entity": "US01", "customer_id": CUSTOMER, "currency": "USD", "payment_terms_days": 30,
                   "po_number": "PO-1", "lines": [{"description": "Widgets", "quantity": "3",
                                                   "unit_price": "33.335", "tax_rate": "0.10"}]}).encode()


def _token(subject: str, role: str) -> str:
    return "Bearer " + mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=[role], issuer="o2c",
                                  audience="o2c")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run(port: int, *, n: int, concurrency: int, server_pid: int) -> dict[str, tuple[float, ...]]:
    preparer, approver = _token("bench", "billing_specialist"), _token("bench-approver", "billing_approver")
    connections = [await Connection.open(port) for _ in range(concurrency)]
    results: dict[str, tuple[float, ...]] = {}
    state: dict[int, tuple[str, str]] = {}

    async def call(conn: Connection, method: str, path: str, token: str, expect: int, etag: str | None = None,
                   body: bytes = b"") -> tuple[dict[str, str], bytes]:
        headers = {"Authorization": token, **({"If-Match": etag} if etag else {})}
        status, answer, content = await conn.request(method, path, headers=headers, body=body)
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {content[:300]!r}")
        return answer, content

    async def step(name: str, work: Callable[[Connection, int], Awaitable[None]]) -> None:
        latencies: list[float] = []
        todo = list(range(n))

        async def worker(conn: Connection) -> None:
            while todo:
                i = todo.pop()
                started = time.perf_counter()
                await work(conn, i)
                latencies.append(time.perf_counter() - started)

        began, cpu = time.perf_counter(), _cpu_s(server_pid)
        await asyncio.gather(*(worker(c) for c in connections))
        results[name] = (n / (time.perf_counter() - began), _pct(latencies, 0.5), _pct(latencies, 0.99),
                         (_cpu_s(server_pid) - cpu) / n * 1000)

    async def create(conn: Connection, i: int) -> None:
        answer, content = await call(conn, "POST", "/invoices", preparer, 201, body=BODY)
        state[i] = (json.loads(content)["id"], answer["etag"])

    async def approve(conn: Connection, i: int) -> None:
        invoice_id, etag = state[i]
        answer, _ = await call(conn, "POST", f"/invoices/{invoice_id}/request-approval", preparer, 200, etag)
        answer, _ = await call(conn, "POST", f"/invoices/{invoice_id}/approve", approver, 200, answer["etag"])
        state[i] = (invoice_id, answer["etag"])

    async def issue(conn: Connection, i: int) -> None:
        invoice_id, etag = state[i]
        answer, _ = await call(conn, "POST", f"/invoices/{invoice_id}/issue", preparer, 200, etag)
        state[i] = (invoice_id, answer["etag"])

    async def submit(conn: Connection, i: int) -> None:
        invoice_id, etag = state[i]
        await call(conn, "POST", f"/invoices/{invoice_id}/submit", preparer, 200, etag)

    try:
        for _ in range(50):  # warm up (statement caches, connection pool)
            await call(connections[0], "POST", "/invoices", preparer, 201, body=BODY)
        await step("created", create)
        await step("approved (request-approval + approve)", approve)
        await step("issued", issue)
        await step("submitted (cXML to the simulator)", submit)
    finally:
        for conn in connections:
            conn.close()
    return results


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - owned by the child process
    return subprocess.Popen([sys.executable, "-m", "uvicorn", *args, "--factory", "--no-access-log",
                             "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"],
                            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def _put_profile(port: int, portal_url: str) -> None:
    conn = await Connection.open(port)
    try:
        status, _, content = await conn.request(
            "PUT", f"/billing-profiles/{CUSTOMER}", headers={"Authorization": _token("bench", "ar_supervisor")},
            body=json.dumps({**PROFILE, "portal_url": portal_url}).encode())
        if status != 201:
            raise RuntimeError(f"billing profile: {status} {content[:300]!r}")
    finally:
        conn.close()


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-invoicing-"))
    pg = EmbeddedPostgres(data / "pgdata", port=free_port(), durable=True)
    pg.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        infra = Infra(pg_url=pg.url, kafka_bootstrap="127.0.0.1:9", broker=None)
        print(f"# invoicing bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} cores, PostgreSQL durable, "
              f"one uvicorn worker; load average before {load_average()}")
        for concurrency in args.concurrency:
            url = await infra.create_database(f"o2c_invoicing_bench_{concurrency}")
            await asyncio.to_thread(upgrade, SERVICE_DIR, url)
            sim_port, port = free_port(), free_port()
            processes.append(_start(["o2c_invoicing.simulator.app:create_app", "--port", str(sim_port)],
                                    {"PORTAL_SIM_CALLBACK_URL": ""}, data / "simulator.log"))
            processes.append(_start(["o2c_invoicing.main:create_app", "--port", str(port)], {
                "INVOICING_DATABASE_URL": url, "INVOICING_RUN_WORKERS": "false", "INVOICING_LOG_LEVEL": "WARNING",
                "INVOICING_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "INVOICING_DATABASE_POOL_SIZE": "20",
                "INVOICING_PORTAL_BASE_URL": f"http://127.0.0.1:{sim_port}"}, data / "invoicing.log"))
            for p, proc in ((sim_port, processes[-2]), (port, processes[-1])):
                wait_for_port("127.0.0.1", p, timeout=60, process=proc)
            await _put_profile(port, f"http://127.0.0.1:{sim_port}")
            results = await run(port, n=args.invoices, concurrency=concurrency, server_pid=processes[-1].pid)
            for name, (rate, p50, p99, cpu) in results.items():
                print(f"{name}, {args.invoices} invoices, {concurrency} concurrent: {rate:.0f}/s,"
                      f" p50 {p50:.1f} ms, p99 {p99:.1f} ms, service CPU {cpu:.2f} ms per invoice")
            for proc in processes[-2:]:
                proc.terminate()
                proc.wait(20)
        print(f"# load average after {load_average()}")
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.kill()
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    asyncio.run(main(parser.parse_args()))
