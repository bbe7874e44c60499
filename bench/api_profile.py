"""Where the invoicing API's CPU goes: ``python -m bench.api_profile [--requests N]``, and what each write step
costs: ``python -m bench.api_profile --steps [--invoices N]``.

Runs the invoicing app in this process (API only, no relay or consumers) against the bench's own
PostgreSQL (durable, as in dev), sends ``POST /invoices`` through httpx's in-process ASGI transport
(4 at a time), measures CPU per request without a profiler, then again under cProfile, and prints the
profiled time grouped by package (time in C functions goes to the package that called them), scaled to
the unprofiled CPU per request. The in-process client is part of the figure (the ``httpx``/``httpcore``
rows), the HTTP server (uvicorn) is not.

``--steps`` (:mod:`bench.api_steps`) takes invoices through create, request-approval, approve, issue and
submit (cXML to the portal simulator in its own process) and prints, per request of each step, the SQL
statements and database round trips counted by SQLAlchemy events on the app's engine (in this bench, not in
the service) and this process's CPU.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import resource
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from bench.freshness import _body
from bench.infra import bench_infra, remove
from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack, StackConfig
from o2c_common.auth import mint_token
from o2c_common.settings import DEV_JWT_SECRET

STDLIB = os.path.dirname(os.__file__)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _group(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
    for part in ("o2c_common", "o2c_invoicing"):
        if f"/{part}/" in filename:
            return part
    if filename.startswith("<frozen importlib"):
        return "importlib (httpx's ASGI transport looks for trio on each request: client side)"
    if filename.startswith(STDLIB + os.sep):
        return "stdlib " + filename[len(STDLIB) + 1 :].split(os.sep)[0].removesuffix(".py")
    if filename.startswith("<frozen"):
        return "stdlib (frozen)"
    return "C built-ins called from C" if filename == "~" else filename


@contextmanager
def _quiet() -> Iterator[None]:
    """The app logs every request as JSON to stdout/stderr: keep the cost, drop the output."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


async def _measure(requests: int) -> tuple[float, Counter[str], float]:
    from o2c_invoicing.main import create_app

    app = create_app()
    token = mint_token(secret=DEV_JWT_SECRET, subject="bench", roles=["billing_specialist"],
                       ttl=timedelta(hours=1), issuer="o2c", audience="o2c")
    counter = iter(range(10**9))

    async def post_many(client: httpx.AsyncClient, n: int) -> None:
        async def worker(k: int) -> None:
            for _ in range(k, n, 4):
                r = await client.post("/invoices", json=_body(next(counter), 4))
                if r.status_code != 201:
                    raise RuntimeError(r.text)
        await asyncio.gather(*(worker(k) for k in range(4)))

    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://invoicing",
            headers={"Authorization": f"Bearer {token}"}) as client:
        await post_many(client, 200)  # warm-up
        started = _cpu()
        await post_many(client, requests)
        per_request = (_cpu() - started) / requests
        profiler = cProfile.Profile()
        profiler.enable()
        await post_many(client, requests)
        profiler.disable()
    groups: Counter[str] = Counter()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, callers) in stats.items():
        if filename != "~" or not callers:
            groups[_group(filename)] += tottime
            continue
        for (caller_file, _l, _n), (_c, _n2, caller_tottime, _c2) in callers.items():  # C call: to its caller
            groups[_group(caller_file)] += caller_tottime
    return per_request, groups, sum(groups.values())


def main(requests: Annotated[int, typer.Option(help="POSTs per measurement")] = 1000,
         steps: Annotated[bool, typer.Option(help="statements and CPU per request of each write step")] = False,
         invoices: Annotated[int, typer.Option(help="--steps: invoices taken through the steps")] = 500,
         show_sql: Annotated[bool, typer.Option(help="--steps: each step's statements")] = False,
         profile_step: Annotated[str | None, typer.Option(help="--steps: profile this step once more")] = None,
         ) -> None:
    console = Console() if sys.stdout.isatty() else Console(width=140)
    if steps:
        from bench.api_steps import run_steps

        run_steps(console, invoices=invoices, show_sql=show_sql, profile=profile_step)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-profile-"))
    try:
        with bench_infra(data_dir) as infra:
            stack = Stack(StackConfig(data_dir=data_dir, external_pg_url=infra.infra.pg_url,
                                      external_kafka=infra.infra.kafka_bootstrap))
            service = SERVICES["invoicing"]
            stack.create_databases()
            stack.migrate(service)
            for key, value in stack.service_env(service).items():
                if key.startswith(service.env_prefix):
                    os.environ[key] = value
            os.environ[f"{service.env_prefix}RUN_WORKERS"] = "false"
            with _quiet():
                per_request, groups, total = asyncio.run(_measure(requests))
    finally:
        remove(data_dir)
    table = Table(title=f"POST /invoices in-process: {per_request * 1000:.2f} ms CPU per request "
                        f"(API only, incl. the in-process httpx client; {requests} requests)", title_justify="left")
    for column in ("package", "ms per request", "share"):
        table.add_column(column)
    for name, seconds in groups.most_common(16):
        table.add_row(name, f"{per_request * 1000 * seconds / total:.2f}", f"{100 * seconds / total:.1f}%")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
