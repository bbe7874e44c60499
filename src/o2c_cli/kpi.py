"""`o2c kpi rebuild`: drop the KPI and operations read models and rebuild them from the topics from offset 0.
`o2c kpi fx import FILE`: upload an ECB reference rates file to the running kpi service, with a progress bar."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.status import Status

app = typer.Typer(help="KPIs: rebuild the read models from the topics; FX rates (ECB import)", no_args_is_help=True)
console = Console(stderr=True)


async def _rebuild(database_url: str | None, bootstrap: str | None, timeout_s: float) -> None:
    from o2c_common.db import Database
    from o2c_common.events import TOPICS
    from o2c_common.tx import Transactions
    from o2c_kpi.config import KpiSettings
    from o2c_kpi.facts.rebuild import FACTS, rebuild
    from o2c_kpi.operations.handlers import PROJECTION as OPERATIONS

    defaults = KpiSettings()
    settings = KpiSettings(database_url=database_url or defaults.database_url,
                           kafka_bootstrap_servers=bootstrap or defaults.kafka_bootstrap_servers)
    db = Database(settings.database_url, pool_size=2)
    transactions = Transactions(db=db, source=f"/o2c/{settings.service_name}", slots=settings.outbox_slots)
    try:
        for label, projection in (("KPI read models", FACTS), ("operations read models", OPERATIONS)):
            with console.status(f"rebuilding the {label}…") as status:
                result = await rebuild(
                    transactions=transactions, settings=settings, topics=tuple(TOPICS.values()),
                    projection=projection, timeout_s=timeout_s, progress=_progress(status, label))
            console.print(f"[green]✓[/] {label} ({projection.group_id}): {result.records:,} events read in "
                          f"{result.seconds:.1f}s, {result.processed:,} taken into the read models, "
                          f"{result.ignored:,} of no concern to them, {result.dead_lettered:,} dead-lettered")
    finally:
        await db.dispose()


def _progress(status: Status, label: str) -> Callable[[int], None]:
    return lambda n: status.update(f"rebuilding the {label}: {n:,} events read")


@app.command("rebuild")
def rebuild_command(
    database_url: Annotated[str | None, typer.Option(
        help="The kpi database (default: the service's KPI_DATABASE_URL setting)")] = None,
    bootstrap: Annotated[str | None, typer.Option(
        help="Kafka bootstrap servers (default: the service's KPI_KAFKA_BOOTSTRAP_SERVERS setting)")] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds")] = 3600.0,
) -> None:
    """Empty the KPI read models (group `kpi`) and the reviews' operations read models (group `kpi-operations`)
    with their inbox rows, then consume every topic from its first offset with the service's own consumers until
    caught up, one group after the other. Stop the kpi service (or its consumers) first: a running consumer would
    count what it reads meanwhile a second time. The SLA clocks (group `kpi-sla`) are not rebuilt: their breaches
    are events already published."""
    asyncio.run(_rebuild(database_url, bootstrap, timeout))


# --- o2c kpi fx import ------------------------------------------------------------------------------------------

fx_app = typer.Typer(help="FX reference rates: import the ECB file", no_args_is_help=True)
app.add_typer(fx_app, name="fx")
UPLOAD_CHUNK = 64 * 1024


class RatesRefused(Exception):
    def __init__(self, problem: dict[str, Any]) -> None:
        self.problem = problem
        super().__init__(problem.get("detail") or problem.get("title") or "refused")


async def upload_rates(client: httpx.AsyncClient, content: bytes, *, filename: str,
                       on_sent: Callable[[int], None] = lambda _n: None) -> dict[str, Any]:
    """POST the file to `/fx/rates/ecb` in chunks (``on_sent`` gets the bytes sent so far); the import's summary,
    or :class:`RatesRefused` with the problem."""

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), UPLOAD_CHUNK):
            yield content[start:start + UPLOAD_CHUNK]
            on_sent(min(start + UPLOAD_CHUNK, len(content)))

    response = await client.post("/fx/rates/ecb", params={"filename": filename}, content=chunks(),
                                 headers={"Content-Type": "application/octet-stream",
                                          "Content-Length": str(len(content))})
    if response.status_code >= 400:
        raise RatesRefused(response.json() if "json" in response.headers.get("content-type", "") else
                           {"detail": f"HTTP {response.status_code}: {response.text[:200]}"})
    summary: dict[str, Any] = response.json()
    return summary


def describe_import(name: str, summary: dict[str, Any]) -> str:
    days = (summary["first_date"] if summary["days"] == 1 else
            f"{summary['days']} days {summary['first_date']} to {summary['last_date']}")
    kept = f", {summary['kept_manual']} hand-set kept" if summary["kept_manual"] else ""
    return (f"{name} ({summary['format']}): {summary['rates']} rates of {len(summary['currencies'])} currencies, "
            f"{days}: {summary['inserted']} new, {summary['updated']} changed, {summary['unchanged']} "
            f"unchanged{kept}")


def _fx_token() -> str:
    from o2c_common.auth import mint_token
    from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings

    settings = ServiceSettings()
    return mint_token(secret=os.environ.get("O2C_JWT_SECRET", DEV_JWT_SECRET), subject="o2c-cli",
                      roles=["ar_supervisor"], ttl=timedelta(hours=1), issuer=settings.jwt_issuer,
                      audience=settings.jwt_audience)


async def _import_rates(content: bytes, *, name: str, url: str, token: str) -> dict[str, Any]:
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"uploading {name}", total=len(content))

        def sent(n: int) -> None:
            progress.update(task, completed=n,
                            description=f"{'storing' if n >= len(content) else 'uploading'} {name}")

        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=300) as client:
            return await upload_rates(client, content, filename=name, on_sent=sent)


@fx_app.command("import")
def fx_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="eurofxref-daily.xml, eurofxref-hist.csv/.zip or eurofxref.csv/.zip")],
    url: Annotated[str, typer.Option(envvar="O2C_KPI_URL", help="The kpi service")] = "http://127.0.0.1:8003",
    token: Annotated[str | None, typer.Option(envvar="O2C_TOKEN",
                                              help="Bearer token (default: a dev token of an AR supervisor)")] = None,
) -> None:
    """Import the ECB euro foreign exchange reference rates file into kpi (any published form). A bad file is
    refused whole with the lines at fault (exit 2); the same file again changes nothing."""
    try:
        summary = asyncio.run(_import_rates(path.read_bytes(), name=path.name, url=url, token=token or _fx_token()))
    except RatesRefused as exc:
        console.print(f"[red]✗ refused:[/] {exc}")
        for error in exc.problem.get("errors") or []:
            where = " ".join(str(error[k]) for k in ("line", "element") if k in error)
            console.print(f"  {'line ' + where if where else ''} {error.get('detail')}".rstrip())
        raise typer.Exit(2) from exc
    except httpx.HTTPError as exc:
        console.print(f"[red]✗ {url}: {exc}")
        raise typer.Exit(1) from exc
    console.print(f"[green]✓[/] {describe_import(path.name, summary)}")
