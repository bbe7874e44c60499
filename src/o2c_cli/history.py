"""`o2c history replay`: the IBM late-payment history replayed through the running services over HTTP, in chunks.

Stages, each with its own progress bar:
1. invoices: chunks of rows to invoicing's `POST /invoices/historical/batch` (id = the row's uuid5, its own number
   and dates); each reaches collections as `invoice.issued` and opens a receivable;
2. receivables: waits until collections has opened every one (the ones still missing looked up 1,000 at a time,
   `POST /receivables/open-amounts/lookup`);
3. payments: chunks to collections' `POST /payments/batch` (or one `POST /payments` per row on a collections
   without it): value date = SettledDate, remittance = invoice number and amount, bank reference
   `history:<entity>:<number>`, so cash application applies each by reference and amount;
4. read models: waits until kpi's credit sales and AR balance over the replayed dates include every change
   (with a kpi URL), and reports rows/s.

A re-run changes nothing: invoicing answers `existing` for a loaded id and number, collections `duplicate` for a
booked bank reference. The position reached (rows whose invoices, and rows whose payments, are done) is kept in a
small state file (`--state`), so `--resume` goes on from there; `--resume-from ROW` starts at a given row.

Unlike `o2c collections import-history` (collections' own service layer, collections only), this goes through the
public APIs, so every service sees the same facts through their events.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from o2c_cli.history_stages import (
    KpiWatch,
    Position,
    Replay,
    ReplayError,
    ReplayProgress,
    ReplayResult,
    bank_reference,
    invoice_body,
    payment_body,
)
from o2c_cli.paths import DEFAULT_DATA_DIR
from o2c_collections.history.schemas import HistoryRow, parse

__all__ = ["DEFAULT_HISTORY", "ReplayError", "ReplayResult", "bank_reference", "invoice_body", "load_rows",
           "mint_replay_token", "payment_body", "replay"]

app = typer.Typer(help="History: replay past invoices and payments through the running services",
                  no_args_is_help=True)
console = Console(stderr=True)

DEFAULT_HISTORY = Path("examples/data/ibm-late-payment-histories.csv")
DEFAULT_STATE = DEFAULT_DATA_DIR / "history-replay.json"
STAGES = ("invoices", "receivables", "payments", "read models")
CHUNK = 500


def load_rows(path: Path, *, limit: int | None = None) -> list[HistoryRow]:
    """Parsed rows (422 DomainError on a malformed file), the first ``limit`` when given."""
    rows = parse(path.read_text(encoding="utf-8-sig"))
    return rows[:limit] if limit else rows


def mint_replay_token(*, subject: str = "system:history-replay") -> str:
    """A service token with the `integration` role (historical invoices, payments), signed like `o2c token`."""
    from o2c_common.auth import mint_token
    from o2c_common.settings import ServiceSettings

    settings = ServiceSettings()
    return mint_token(secret=settings.jwt_secret, subject=subject, roles=["integration"], kind="service",
                      ttl=timedelta(hours=2), issuer=settings.jwt_issuer, audience=settings.jwt_audience)


async def replay(*, rows: Sequence[HistoryRow], invoicing_url: str, collections_url: str, token: str,
                 kpi_url: str | None = None, legal_entity: str = "US01", currency: str = "USD",
                 concurrency: int = 12, chunk_size: int = CHUNK, invoices_only: bool = False,
                 receivable_timeout_s: float = 120.0, readmodel_timeout_s: float = 300.0,
                 start: Position | None = None, on_position: Callable[[Position], None] | None = None,
                 progress: ReplayProgress | None = None) -> ReplayResult:
    """Replay ``rows`` through the services (see the module's docstring), from ``start`` (rows already done), and
    report each new position to ``on_position``. Rows refused by a service are listed in ``errors`` and skipped
    in later stages; raises ReplayError when collections or kpi do not catch up in time."""
    position = Position(**asdict(start)) if start else Position()
    result = ReplayResult(rows=len(rows), position=position)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    def moved(stage: str) -> Callable[[int], None]:
        def done(n: int) -> None:
            setattr(position, stage, getattr(position, stage) + n)
            if on_position is not None:
                on_position(position)
        return done

    async with httpx.AsyncClient(base_url=invoicing_url, headers=headers, limits=limits, timeout=120) as invoicing, \
            httpx.AsyncClient(base_url=collections_url, headers=headers, limits=limits, timeout=120) as collections, \
            httpx.AsyncClient(base_url=kpi_url or "http://kpi.invalid", headers=headers, timeout=30) as kpi:
        run = Replay(invoicing=invoicing, collections=collections, legal_entity=legal_entity, currency=currency,
                     concurrency=concurrency, chunk_size=chunk_size, result=result, progress=progress)
        watch = KpiWatch(kpi, rows, legal_entity=legal_entity, currency=currency) if kpi_url and rows else None
        if watch is not None:
            await watch.start()
        clock = time.monotonic()
        todo = rows[position.invoices:]
        run.stage("invoices", len(todo))
        await run.chunks(todo, run.load_invoices, done=moved("invoices"))
        clock = _lap(result, "invoices", clock)
        if invoices_only:
            loaded = [row for row in rows[position.payments:] if row.line not in run.failed]
            run.stage("receivables", len(loaded))
            await run.await_receivables(loaded, timeout_s=receivable_timeout_s)
            _lap(result, "receivables", clock)
            return result
        laps = {"receivables": clock}

        def opened() -> None:
            laps["payments"] = _lap(result, "receivables", laps["receivables"])

        await run.open_and_pay(rows[position.payments:], timeout_s=receivable_timeout_s, done=moved("payments"),
                               opened=opened)
        clock = _lap(result, "payments", laps["payments"])
        if watch is not None:
            run.stage("read models", 1)
            await watch.caught_up(created=run.created, paid=run.paid, timeout_s=readmodel_timeout_s)
            run.tick("read models")
            _lap(result, "read models", clock)
    return result


def _lap(result: ReplayResult, stage: str, since: float) -> float:
    now = time.monotonic()
    result.seconds[stage] = now - since
    return now


class RichReplayProgress:
    """One bar per stage on a rich Progress."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def stage(self, name: str, total: int) -> None:
        self.tasks[name] = self.progress.add_task(name, total=total)

    def advance(self, name: str, n: int = 1) -> None:
        self.progress.advance(self.tasks[name], n)


def read_state(path: Path, key: str) -> Position:
    try:
        return Position(**json.loads(path.read_text())[key])
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return Position()


def write_state(path: Path, key: str, position: Position) -> None:
    try:
        states = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        states = {}
    states[key] = asdict(position)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(states, indent=1))


@app.command("replay")
def replay_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The history CSV")] = DEFAULT_HISTORY,
    invoicing_url: Annotated[str, typer.Option(envvar="O2C_INVOICING_URL")] = "http://127.0.0.1:8001",
    collections_url: Annotated[str, typer.Option(envvar="O2C_COLLECTIONS_URL")] = "http://127.0.0.1:8002",
    kpi_url: Annotated[str, typer.Option(envvar="O2C_KPI_URL", help="'' to not wait for kpi")] = "http://127.0.0.1:8003",
    legal_entity: Annotated[str, typer.Option(help="Legal entity of the replayed invoices")] = "US01",
    currency: Annotated[str, typer.Option(help="Currency of the replayed amounts")] = "USD",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N rows")] = None,
    invoices_only: Annotated[bool, typer.Option(help="Load the invoices, book no payments")] = False,
    chunk: Annotated[int, typer.Option(min=1, max=1000, help="Rows per batch request")] = CHUNK,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight")] = 12,
    timeout: Annotated[float, typer.Option(help="Seconds without a receivable opened before giving up")] = 120.0,
    state: Annotated[Path, typer.Option(help="Where the position reached is kept")] = DEFAULT_STATE,
    resume: Annotated[bool, typer.Option(help="Go on from the position kept in --state")] = False,
    resume_from: Annotated[int | None, typer.Option(min=1, help="Start at this data row (1 = the first)")] = None,
) -> None:
    """Replay the late-payment history through the running services: historical invoices in invoicing (in
    chunks), receivables opened by collections from `invoice.issued`, payments booked on their settled dates and
    applied by reference, until kpi has caught up. Idempotent: a re-run changes nothing."""
    from o2c_common.errors import DomainError

    try:
        rows = load_rows(path, limit=limit)
    except DomainError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from exc
    key = f"{path.resolve()}|{legal_entity}|{currency}"
    start = read_state(state, key) if resume else Position()
    if resume_from is not None:
        start = Position(invoices=resume_from - 1, payments=resume_from - 1)
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bars:
        try:
            result = asyncio.run(replay(
                rows=rows, invoicing_url=invoicing_url, collections_url=collections_url, kpi_url=kpi_url or None,
                token=mint_replay_token(), legal_entity=legal_entity, currency=currency, concurrency=concurrency,
                chunk_size=chunk, invoices_only=invoices_only, receivable_timeout_s=timeout, start=start,
                on_position=lambda p: write_state(state, key, p), progress=RichReplayProgress(bars)))
        except (ReplayError, httpx.HTTPError) as exc:
            kept = read_state(state, key)
            console.print(f"[red]replay stopped: {exc}\n[/]position kept in {state}: invoices done up to row "
                          f"{kept.invoices}, payments up to row {kept.payments} (go on with --resume)")
            raise typer.Exit(1) from exc
    timing = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in result.seconds.items())
    console.print(f"[green]✓[/] {result.rows} rows: {result.invoices_created} invoices loaded "
                  f"({result.invoices_existing} already there), {result.receivables_open} receivables open, "
                  f"{result.payments_booked} payments booked ({result.payments_applied} applied, "
                  f"{result.payments_existing} already booked); {result.rows_per_s:.0f} rows/s ({timing})")
    for error in result.errors[:20]:
        console.print(f"[red]{error}")
    if result.errors:
        console.print(f"[red]{len(result.errors)} row(s) refused")
        raise typer.Exit(1)
