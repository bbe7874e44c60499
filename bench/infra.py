"""The bench's own infrastructure: an embedded PostgreSQL (durable, as in dev) and a Tansu broker on
free ports, plus the small statistics helpers every phase shares."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import httpx

from o2c_cli.localstack import EmbeddedPostgres, TansuBroker, free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack, StackConfig
from o2c_cli.testing import Infra
from o2c_common.db.database import asyncpg_dsn

PG_SETTINGS = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
               "shared_buffers", "track_commit_timestamp")


@dataclass
class BenchInfra:
    infra: Infra
    pg: EmbeddedPostgres
    broker: TansuBroker
    pg_settings: dict[str, str]


@contextmanager
def bench_infra(data_dir: Path, *, settings: dict[str, str] | None = None) -> Iterator[BenchInfra]:
    """Start PostgreSQL and the broker; both are stopped when the block ends (also on Ctrl-C or errors).

    PostgreSQL runs with the dev launcher's durable settings (fsync, synchronous_commit and
    full_page_writes on). ``track_commit_timestamp`` is switched on as the only difference, so the
    freshness profile can read each transaction's commit time; it costs a few bytes per commit. ``settings``: more
    server settings (``--pg-stats`` preloads pg_stat_statements).
    """
    pg = EmbeddedPostgres(data_dir / "pgdata", port=free_port(), durable=True)
    broker = TansuBroker(port=free_port(), log_path=data_dir / "tansu.log")
    try:
        pg.start()
        for name, value in {"track_commit_timestamp": "on", **(settings or {})}.items():
            pg.psql(f"ALTER SYSTEM SET {name} = '{value}'")
        pg.stop()  # track_commit_timestamp needs a restart
        pg.start()
        broker.start()
        shown = {name: pg.psql(f"SHOW {name}").strip() for name in PG_SETTINGS}
        yield BenchInfra(Infra(pg_url=pg.url, kafka_bootstrap=broker.bootstrap_servers, broker=broker),
                         pg, broker, shown)
    finally:
        broker.stop()
        pg.stop()


def load_average(separator: str = " ") -> str:
    """The load average over 1, 5 and 15 minutes, as the benches print it before and after a run."""
    return separator.join(f"{x:.2f}" for x in os.getloadavg())


def started_stack(config: StackConfig, *, timeout: float = 180) -> Stack:
    """The services of ``config`` migrated, started and ready (the caller stops it: ``stack.stop()``)."""
    stack = Stack(config)
    stack.start_services(timeout=timeout)
    return stack


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages * page_size / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "?"
    return {"cores": str(os.cpu_count()), "cpu": cpu, "memory": memory,
            "python": f"{platform.python_version()} ({_interpreter_home()})",
            "os": f"{platform.system()} {platform.release()}",
            "host speed": f"{host_speed_ms():.1f} ms for the reference loop (lower is faster)"}


def host_speed_ms(runs: int = 5) -> float:
    """The best of ``runs`` timings of a fixed pure-Python workload (dict, str and int operations), in ms. The same
    code takes longer on a slower host (a neighbour on a shared CPU), and that moves every figure: printed with each
    bench, it tells a change from the host between runs hours apart."""
    def workload() -> int:
        table = {str(i): i * 3 % 7 for i in range(100_000)}
        return sum(len(key) + value for key, value in table.items())

    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        workload()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _interpreter_home() -> str:
    """Where the running interpreter comes from (its build sets the speed of every Python process here): the
    base interpreter of a virtual environment."""
    return str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


@dataclass(frozen=True)
class Stats:
    """Latency distribution in milliseconds (nearest-rank percentiles)."""

    n: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of_seconds(cls, values: Sequence[float]) -> Stats:
        ms = sorted(v * 1000 for v in values)
        if not ms:
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
        return cls(len(ms), pct(ms, 50), pct(ms, 95), pct(ms, 99), ms[-1], sum(ms) / len(ms))

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def pct(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, -(-len(sorted_values) * p // 100))
    return float(sorted_values[int(rank) - 1])


OUTBOX_EVENTS = ("coalesce(sum(coalesce((SELECT (h ->> 1)::int FROM jsonb_array_elements(headers) AS h "
                 "WHERE h ->> 0 = 'o2c_bundle'), 1)), 0)")
"""The events of the outbox rows selected: a bundle row's members (o2c_common.events.bundle), one for any other."""


async def published_events(stack: Stack) -> int:
    """Events the services have published so far: the records the broker holds (the local broker keeps every
    record in memory, and its work for each produce request grows with what it holds; docs/performance.md)."""
    total = 0
    for service in SERVICES.values():
        conn = await asyncpg.connect(asyncpg_dsn(stack.database_url(service)))
        try:
            total += int(await conn.fetchval(f"SELECT {OUTBOX_EVENTS} FROM outbox WHERE published_at IS NOT NULL"))
        finally:
            await conn.close()
    return total


QUEUES = ("outbox_backlog", "consumer_lag")


def gauge_total(metrics_text: str, names: str | tuple[str, ...]) -> float:
    """The sum of every sample of the named metrics (all their labels) in a Prometheus text scrape."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics_text.splitlines()
               if line.startswith(names) and not line.startswith("#"))


async def pipeline_drained(stack: Stack, *, within: float = 120.0, interval: float = 0.5) -> float | None:
    """Seconds until every service's outbox is published and every consumer group has read every record (the
    services' ``outbox_backlog`` and ``consumer_lag`` all 0 on two scrapes a second apart; the lag is refreshed once
    a second): a measurement then starts from a drained pipeline. None if it did not drain ``within`` seconds."""
    urls = [f"http://{stack.config.host}:{stack.config.ports[name]}/metrics" for name in SERVICES]
    began = time.monotonic()
    quiet_since: float | None = None
    async with httpx.AsyncClient(timeout=5) as client:
        while (now := time.monotonic()) - began < within:
            queued = sum([gauge_total((await client.get(url)).text, QUEUES) for url in urls])
            quiet_since = (quiet_since or now) if queued == 0 else None
            if quiet_since is not None and now - quiet_since >= 1.0:
                return now - began
            await asyncio.sleep(interval)
    return None


def stop_on_sigterm() -> None:
    """A SIGTERM (``kill``, ``timeout``) ends the bench as Ctrl-C does, so the stack, broker and PostgreSQL it started
    are stopped: otherwise they run on, ownerless, and load the machine under the next run."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
