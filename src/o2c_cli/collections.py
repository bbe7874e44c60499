"""`o2c collections`: the history importer (replays the IBM late-payment history through the service layer)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Collections: history import", no_args_is_help=True)
console = Console(stderr=True)

DEFAULT_HISTORY = Path("examples/data/ibm-late-payment-histories.csv")


async def _import(text: str, *, database_url: str | None, legal_entity: str, currency: str,
                  limit: int | None) -> Counter[str]:
    from o2c_collections.config import CollectionsSettings
    from o2c_collections.history.schemas import parse
    from o2c_collections.history.service import import_row
    from o2c_common.db import Database
    from o2c_common.errors import DomainError
    from o2c_common.outbox import Outbox

    settings = CollectionsSettings(database_url=database_url) if database_url else CollectionsSettings()
    try:
        rows = parse(text)[:limit]
    except DomainError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from exc
    outbox = Outbox(source=f"/o2c/{settings.service_name}", slots=settings.outbox_slots)
    db = Database(settings.database_url, pool_size=2)
    counts: Counter[str] = Counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task("replaying history", total=len(rows))
            for row in rows:
                async with db.unit_of_work() as session:  # one transaction per row: a crash loses nothing done
                    result = await import_row(session, row=row, legal_entity=legal_entity, currency=currency,
                                              outbox=outbox, settings=settings)
                counts["imported" if result.imported else "already_imported"] += 1
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
    on their dates. Idempotent: a re-run changes nothing."""
    text = path.read_text(encoding="utf-8-sig")
    counts = asyncio.run(_import(text, database_url=database_url, legal_entity=legal_entity, currency=currency,
                                 limit=limit))
    console.print(f"[green]✓[/] imported {counts['imported']} invoices ({counts['already_imported']} already "
                  f"imported), {counts['applied']} payments applied, {counts['disputed']} disputes")
