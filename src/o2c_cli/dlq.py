"""`o2c dlq`: list and replay a consumer group's dead letters."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from o2c_common.kafka.dead_letters import list_dead_letters, replay_dead_letters

app = typer.Typer(help="Dead letters: list them, replay them after a fix", no_args_is_help=True)
console = Console()

Bootstrap = Annotated[str, typer.Option(envvar="O2C_KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers")]
Group = Annotated[str, typer.Argument(help="Consumer group, e.g. collections or kpi")]


@app.command("list")
def list_command(group: Group, bootstrap: Bootstrap = "127.0.0.1:19092",
                 limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100) -> None:
    """Show the group's dead letters: where each came from and why it failed."""
    letters = asyncio.run(list_dead_letters(bootstrap, group=group, limit=limit))
    table = Table(title=f"dead letters of {group}: {len(letters)}", title_justify="left")
    for column in ("partition/offset", "reason", "event type", "event id", "origin", "error"):
        table.add_column(column, overflow="fold")
    for d in letters:
        table.add_row(f"{d.partition}/{d.offset}", d.reason, d.event_type, d.event_id, d.origin, d.error[:200])
    console.print(table)


@app.command("replay")
def replay_command(
    group: Group,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    offset: Annotated[
        list[str] | None, typer.Option(help="PARTITION/OFFSET of a letter to replay (repeatable)")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter of the group")] = False,
) -> None:
    """Publish dead letters again to their origin topic for this group only; it retries them once more, the other
    groups reading that topic skip them."""
    if not offset and not all_:
        raise typer.BadParameter("name letters with --offset PARTITION/OFFSET, or pass --all")
    letters = asyncio.run(list_dead_letters(bootstrap, group=group, limit=100_000))
    wanted = set(offset or [])
    chosen = [d for d in letters if all_ or f"{d.partition}/{d.offset}" in wanted]
    missing = wanted - {f"{d.partition}/{d.offset}" for d in chosen}
    if missing:
        raise typer.BadParameter(f"no such dead letters: {', '.join(sorted(missing))}")
    sent = asyncio.run(replay_dead_letters(bootstrap, chosen, group=group))
    console.print(f"[green]✓[/] replayed {sent} dead letter(s) of {group}")
