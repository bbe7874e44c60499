"""`o2c kpi rebuild`: drop the KPI read models and rebuild them from the topics from offset 0."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="KPIs: rebuild the read models from the topics", no_args_is_help=True)
console = Console(stderr=True)


async def _rebuild(database_url: str | None, bootstrap: str | None, timeout_s: float) -> None:
    from o2c_common.db import Database
    from o2c_common.events import TOPICS
    from o2c_common.tx import Transactions
    from o2c_kpi.config import KpiSettings
    from o2c_kpi.facts.rebuild import rebuild

    defaults = KpiSettings()
    settings = KpiSettings(database_url=database_url or defaults.database_url,
                           kafka_bootstrap_servers=bootstrap or defaults.kafka_bootstrap_servers)
    db = Database(settings.database_url, pool_size=2)
    transactions = Transactions(db=db, source=f"/o2c/{settings.service_name}", slots=settings.outbox_slots)
    try:
        with console.status("rebuilding the KPI read models…") as status:
            result = await rebuild(
                transactions=transactions, settings=settings, topics=tuple(TOPICS.values()), timeout_s=timeout_s,
                progress=lambda n: status.update(f"rebuilding the KPI read models: {n} events read"))
    finally:
        await db.dispose()
    console.print(f"[green]✓[/] {result.records} events read in {result.seconds:.1f}s: {result.processed} taken "
                  f"into the read models, {result.ignored} of no KPI's concern, {result.dead_lettered} dead-lettered")


@app.command("rebuild")
def rebuild_command(
    database_url: Annotated[str | None, typer.Option(
        help="The kpi database (default: the service's KPI_DATABASE_URL setting)")] = None,
    bootstrap: Annotated[str | None, typer.Option(
        help="Kafka bootstrap servers (default: the service's KPI_KAFKA_BOOTSTRAP_SERVERS setting)")] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds")] = 3600.0,
) -> None:
    """Empty every KPI read model and the `kpi` inbox, then consume every topic from its first offset with the
    service's own consumer until caught up. Stop the kpi service (or its consumers) first: a running `kpi`
    consumer would count what it reads meanwhile a second time."""
    asyncio.run(_rebuild(database_url, bootstrap, timeout))
