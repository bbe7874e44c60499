"""`o2c outbox republish`: publish a service's stored events again after the broker lost them."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from o2c_cli.services import SERVICES

app = typer.Typer(help="Outbox: publish stored events again after the broker lost them", no_args_is_help=True)
console = Console(stderr=True)


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date or an ISO 8601 time such as 2026-12-01T08:00:00Z") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("republish")
def republish_command(
    service: Annotated[str, typer.Option(help="invoicing | collections | kpi | escalation | all")],
    since: Annotated[str, typer.Option(help="Events written at or after this time (ISO 8601; UTC if no offset)")],
    database_url: Annotated[str | None, typer.Option(help="Overrides the service's DATABASE_URL setting")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only count the events")] = False,
) -> None:
    """Mark the service's events written since T for publishing again; its running relay sends them in their
    original order. Consumers skip the events they had applied already (inbox by event id)."""
    moment = _since(since)
    names = list(SERVICES) if service == "all" else [service]
    for name in names:
        if name not in SERVICES:
            raise typer.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICES)} or all")
        url = database_url or _database_url(name)
        count, oldest = asyncio.run(_republish(url, moment, dry_run=dry_run))
        verb = "would republish" if dry_run else "marked for republishing"
        console.print(f"[green]✓[/] {name}: {verb} {count} event(s) written since {moment.isoformat()}")
        if oldest is not None and oldest > moment:
            console.print(f"[yellow]![/] {name}: the outbox only keeps events since {oldest.isoformat()} "
                          "(outbox_retention_days); older ones cannot be republished from here")


def _database_url(name: str) -> str:
    from o2c_common.settings import database_url_of

    info = SERVICES[name]
    config_module = importlib.import_module(f"{info.package}.config")
    return database_url_of(getattr(config_module, f"{name.capitalize()}Settings"))


async def _republish(url: str, since: datetime, *, dry_run: bool) -> tuple[int, datetime | None]:
    from sqlalchemy.ext.asyncio import create_async_engine

    from o2c_common.outbox.republish import oldest_kept, republish_since

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            oldest = await oldest_kept(conn)
            return await republish_since(conn, since, dry_run=dry_run), oldest
    finally:
        await engine.dispose()
