"""`o2c dlq`: list and replay a consumer group's dead letters, from the dead-letter topic or, with ``--service``,
from the consuming service's database (where they are kept too: they outlive a broker that lost the topic)."""

from __future__ import annotations

import asyncio
import importlib
from typing import Annotated

import typer
from rich.table import Table

from o2c_cli.console import out
from o2c_cli.services import SERVICES
from o2c_common.kafka.dead_letters import (
    DeadLetter,
    list_dead_letters,
    mark_replayed,
    replay_dead_letters,
    stored_dead_letters,
)

app = typer.Typer(help="Dead letters: list them, replay them after a fix", no_args_is_help=True)
console = out

Bootstrap = Annotated[str, typer.Option(envvar="O2C_KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers")]
Group = Annotated[str, typer.Argument(help="Consumer group, e.g. collections or kpi")]
Service = Annotated[
    str | None,
    typer.Option(help="Read the letters kept in this service's database (the group's service) instead of the topic"),
]
DatabaseUrl = Annotated[str | None, typer.Option(help="With --service: overrides its DATABASE_URL setting")]


@app.command("list")
def list_command(
    group: Group,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    service: Service = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the group's dead letters: where each came from and why it failed."""
    letters = _letters(group, bootstrap, limit=limit, service=service, database_url=database_url)
    where = f"{service}'s database" if service else "the topic"
    table = Table(title=f"dead letters of {group} in {where}: {len(letters)}", title_justify="left")
    for column in ("id" if service else "partition/offset", "reason", "event type", "event id", "origin", "error"):
        table.add_column(column, overflow="fold")
    for d in letters:
        table.add_row(_ref(d), d.reason, d.event_type, d.event_id, d.origin, d.error[:200])
    console.print(table)


@app.command("replay")
def replay_command(
    group: Group,
    bootstrap: Bootstrap = "127.0.0.1:19092",
    offset: Annotated[
        list[str] | None, typer.Option(help="PARTITION/OFFSET of a letter (with --service: its id) (repeatable)")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter of the group")] = False,
    service: Service = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Publish dead letters again to their origin topic for this group only; it retries them once more, the other
    groups reading that topic skip them."""
    if not offset and not all_:
        raise typer.BadParameter("name letters with --offset PARTITION/OFFSET (or the id with --service), or --all")
    letters = _letters(group, bootstrap, limit=100_000, service=service, database_url=database_url)
    wanted = set(offset or [])
    chosen = [d for d in letters if all_ or _ref(d) in wanted]
    missing = wanted - {_ref(d) for d in chosen}
    if missing:
        raise typer.BadParameter(f"no such dead letters: {', '.join(sorted(missing))}")
    sent = asyncio.run(replay_dead_letters(bootstrap, chosen, group=group, client_options=_security()))
    if service:
        asyncio.run(_mark(_url(service, database_url), group, [d.offset for d in chosen]))
    console.print(f"[green]✓[/] replayed {sent} dead letter(s) of {group}")


def _security() -> dict[str, object]:
    """SASL/TLS from the environment (O2C_KAFKA_SECURITY_PROTOCOL, O2C_KAFKA_SASL_USERNAME … as the services
    read them): an operator's user where the broker wants one (docs/security.md, "Kafka security")."""
    from o2c_common.kafka import security_options
    from o2c_common.settings import ServiceSettings

    return security_options(ServiceSettings())


def _ref(letter: DeadLetter) -> str:
    return str(letter.offset) if letter.partition < 0 else f"{letter.partition}/{letter.offset}"


def _letters(
    group: str, bootstrap: str, *, limit: int, service: str | None, database_url: str | None
) -> list[DeadLetter]:
    if service is None:
        return asyncio.run(list_dead_letters(bootstrap, group=group, limit=limit, client_options=_security()))
    return asyncio.run(_stored(_url(service, database_url), group, limit))


def _url(service: str, database_url: str | None) -> str:
    if database_url:
        return database_url
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    from o2c_common.settings import database_url_of

    info = SERVICES[service]
    return database_url_of(
        getattr(importlib.import_module(f"{info.package}.config"), f"{service.capitalize()}Settings")
    )


async def _stored(url: str, group: str, limit: int) -> list[DeadLetter]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await stored_dead_letters(conn, group=group, limit=limit)
    finally:
        await engine.dispose()


async def _mark(url: str, group: str, ids: list[int]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await mark_replayed(conn, group=group, ids=ids)
    finally:
        await engine.dispose()
