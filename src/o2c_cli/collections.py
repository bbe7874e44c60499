"""`o2c collections`: the history importer (replays the IBM late-payment history through the service layer) and
`import-payments` (uploads a bank file to the running service and follows its import job with a progress bar)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Collections: history import, bank file import", no_args_is_help=True)
console = Console(stderr=True)

DEFAULT_HISTORY = Path("examples/data/ibm-late-payment-histories.csv")


async def _import(text: str, *, database_url: str | None, legal_entity: str, currency: str,
                  limit: int | None) -> Counter[str]:
    from o2c_collections.config import CollectionsSettings
    from o2c_collections.history.schemas import parse
    from o2c_collections.history.service import import_row
    from o2c_common.db import Database
    from o2c_common.errors import DomainError
    from o2c_common.tx import Transactions

    settings = CollectionsSettings(database_url=database_url) if database_url else CollectionsSettings()
    try:
        rows = parse(text)[:limit]
    except DomainError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from exc
    db = Database(settings.database_url, pool_size=2)
    transactions = Transactions(db=db, source="/o2c/collections", slots=settings.outbox_slots)
    counts: Counter[str] = Counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task("replaying history", total=len(rows))
            for row in rows:
                # one transaction per row: a crash loses nothing done
                async with transactions.begin("system:history-import") as tx:
                    result = await import_row(tx, row=row, legal_entity=legal_entity, currency=currency,
                                              settings=settings)
                counts["imported" if result.imported else "already_imported"] += 1
                counts["opened"] += result.opened
                counts["booked"] += result.booked
                counts["applied"] += result.applied
                counts["disputed"] += result.disputed
                progress.advance(task)
    finally:
        await db.dispose()
    return counts


@app.command("import-history")
def import_history(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The history CSV")] = DEFAULT_HISTORY,
    database_url: Annotated[str | None, typer.Option(help="Overrides COLLECTIONS_DATABASE_URL")] = None,
    legal_entity: Annotated[str, typer.Option(help="Legal entity of the replayed invoices")] = "US01",
    currency: Annotated[str, typer.Option(help="Currency of the replayed amounts")] = "USD",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N rows")] = None,
) -> None:
    """Replay the late-payment history: invoices issued, disputes for Disputed rows, payments received and applied
    on their dates. Idempotent per step (receivable, dispute, payment), also beside `o2c history replay`, which
    issues the same invoices through invoicing and posts the payments with bank reference
    history:<entity>:<number>: either path, or both, books each payment once."""
    text = path.read_text(encoding="utf-8-sig")
    counts = asyncio.run(_import(text, database_url=database_url, legal_entity=legal_entity, currency=currency,
                                 limit=limit))
    console.print(f"[green]✓[/] {counts['imported']} rows imported ({counts['already_imported']} already complete): "
                  f"{counts['opened']} receivables opened, {counts['disputed']} disputes, {counts['booked']} payments "
                  f"booked, {counts['applied']} payments applied")


FORMATS = {".csv": "csv", ".bai": "bai2", ".bai2": "bai2", ".txt": "bai2"}


class ImportRefused(Exception):
    def __init__(self, problem: dict[str, Any]) -> None:
        self.problem = problem
        super().__init__(problem.get("detail") or problem.get("title") or "refused")


async def follow_import(client: httpx.AsyncClient, content: bytes, *, file_format: str, legal_entity: str,
                        filename: str | None, poll_s: float,
                        on_progress: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Uploads the file and polls its import job until it is completed; the job's last state. A refused file
    (malformed, bad parameters) raises :class:`ImportRefused` with the problem."""
    params = {"format": file_format, "legal_entity": legal_entity, **({"filename": filename} if filename else {})}
    response = await client.post("/payment-imports", params=params, content=content,
                                 headers={"Content-Type": "application/octet-stream"})
    if response.status_code >= 400:
        raise ImportRefused(response.json() if "json" in response.headers.get("content-type", "") else
                            {"detail": f"HTTP {response.status_code}: {response.text[:200]}"})
    job: dict[str, Any] = response.json()
    on_progress(job)
    while job["status"] != "completed":
        await asyncio.sleep(poll_s)
        polled = await client.get(f"/payment-imports/{job['id']}")
        polled.raise_for_status()
        job = polled.json()
        on_progress(job)
    return job


def _dev_token() -> str:
    from o2c_common.auth import mint_token
    from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings

    settings = ServiceSettings()
    return mint_token(secret=os.environ.get("O2C_JWT_SECRET", DEV_JWT_SECRET), subject="o2c-cli",
                      roles=["bank_file_importer"],
                      ttl=timedelta(hours=1), issuer=settings.jwt_issuer, audience=settings.jwt_audience)


async def _import_payments(content: bytes, *, url: str, token: str, file_format: str, legal_entity: str,
                           filename: str, poll_s: float) -> dict[str, Any]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[counts]}"), console=console) as progress:
        task = progress.add_task(f"importing {filename}", total=None, counts="")

        def show(job: dict[str, Any]) -> None:
            progress.update(task, total=job["total_lines"], completed=job["processed_lines"],
                            counts=f"booked {job['booked']} · duplicates {job['duplicates']} · "
                                   f"applied {job['applied']} · errors {job.get('errors', 0)}")

        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=120) as client:
            return await follow_import(client, content, file_format=file_format, legal_entity=legal_entity,
                                       filename=filename, poll_s=poll_s, on_progress=show)


@app.command("import-payments")
def import_payments(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The bank file")],
    file_format: Annotated[str | None, typer.Option(
        "--format", help="csv | camt053 | camt054 | bai2 (default: from the file's suffix)")] = None,
    legal_entity: Annotated[str, typer.Option(help="Legal entity the account belongs to")] = "US01",
    url: Annotated[str, typer.Option(envvar="O2C_COLLECTIONS_URL", help="The collections service")] =
        "http://127.0.0.1:8002",
    token: Annotated[str | None, typer.Option(envvar="O2C_TOKEN",
                                              help="Bearer token (default: a dev token of a collector)")] = None,
    poll_s: Annotated[float, typer.Option(min=0.05, help="Seconds between progress polls")] = 0.5,
) -> None:
    """Upload a bank file (CSV, camt.053/054, BAI2) and show the import's live progress until every line is booked.
    A malformed file is refused before anything is booked; the same file again answers its first import."""
    fmt = file_format or FORMATS.get(path.suffix.lower())
    if fmt is None:
        content_head = path.read_bytes()[:2000]
        fmt = ("camt054" if b"BkToCstmrDbtCdtNtfctn" in content_head else
               "camt053" if b"BkToCstmrStmt" in content_head else None)
    if fmt is None:
        raise typer.BadParameter("cannot tell the format from the file: give --format", param_hint="--format")
    try:
        job = asyncio.run(_import_payments(path.read_bytes(), url=url, token=token or _dev_token(), file_format=fmt,
                                           legal_entity=legal_entity, filename=path.name, poll_s=poll_s))
    except ImportRefused as exc:
        console.print(f"[red]✗ refused:[/] {exc}")
        for error in exc.problem.get("errors") or []:
            console.print(f"  {error.get('pointer') or error.get('parameter') or ''} {error.get('detail')}")
        raise typer.Exit(2) from exc
    except httpx.HTTPError as exc:
        console.print(f"[red]✗ {url}: {exc}")
        raise typer.Exit(1) from exc
    seen = " (this file was imported before: its first import)" if job.get("duplicate_file") else ""
    console.print(f"[green]✓[/] {job['processed_lines']} of {job['total_lines']} lines: {job['booked']} booked, "
                  f"{job['duplicates']} duplicates, {job['applied']} auto-applied, {job['errors']} errors{seen}")
    for error in job.get("error_details") or []:
        console.print(f"  line {error['line']}: {error['detail']}")


async def _republish(*, database_url: str | None, batch: int) -> tuple[int, int]:
    from o2c_collections.config import CollectionsSettings
    from o2c_collections.receivables.service import republish
    from o2c_common.db import Database
    from o2c_common.tx import Transactions

    settings = CollectionsSettings(database_url=database_url) if database_url else CollectionsSettings()
    db = Database(settings.database_url, pool_size=2)
    transactions = Transactions(db=db, source="/o2c/collections", slots=settings.outbox_slots)
    entries = pages = 0
    after = None
    try:
        with Progress(TextColumn("{task.description}"), TextColumn("{task.fields[entries]} entries"),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("republishing the ledger", total=None, entries=0)
            while True:
                # one transaction per page of invoices: the outbox rows of a page commit together
                async with transactions.begin("system:ledger-republish") as tx:
                    done, after = await republish(tx, after=after, limit=batch)
                entries, pages = entries + done, pages + 1
                progress.update(task, entries=entries)
                if after is None:
                    break
    finally:
        await db.dispose()
    return entries, pages


@app.command("republish-ledger")
def republish_ledger(
    database_url: Annotated[str | None, typer.Option(help="Overrides COLLECTIONS_DATABASE_URL")] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Invoices per transaction")] = 500,
) -> None:
    """Announce every AR ledger entry again as `receivable.changed` (invoice by invoice, in sequence order, with the
    running figures), through the outbox of the collections database: for deployments with history, so invoicing's
    settlement and kpi's AR mirror entries posted before they listened. Safe to run again: consumers ignore a
    sequence they already have. Afterwards, `o2c kpi rebuild` replays them into kpi."""
    entries, _pages = asyncio.run(_republish(database_url=database_url, batch=batch))
    console.print(f"[green]✓[/] {entries} ledger entries announced as receivable.changed (the relay publishes them)")
