"""`o2c audit verify --service <svc>`: walk a service's audit chain and report the first broken link."""

from __future__ import annotations

import asyncio
import importlib
import json
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_cli.console import out
from o2c_cli.services import SERVICES
from o2c_common.audit.verify import Anchor, ChainReport, verify_chain
from o2c_common.settings import ServiceSettings, database_url_of

app = typer.Typer(help="The audit trail's hash chain", no_args_is_help=True)
console = out


def service_database_url(service: str) -> str:
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    config = importlib.import_module(f"{SERVICES[service].package}.config")
    settings_cls: type[ServiceSettings] = getattr(config, f"{service.capitalize()}Settings")
    return database_url_of(settings_cls)


async def verify_url(url: str, anchor: Anchor | None = None) -> ChainReport:
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await verify_chain(conn, anchor=anchor)
    finally:
        await engine.dispose()


def describe(service: str, report: ChainReport) -> str:
    head = f"head {report.head.seq}:{report.head.hash}" if report.head else "no entries yet"
    if report.intact:
        return f"{service}: audit chain intact, {report.links:,} entries, {head}"
    where = f" at link {report.seq}" if report.seq is not None else ""
    return (
        f"{service}: audit chain BROKEN{where} ({report.problem}): {report.detail}; "
        f"{report.links:,} links verified before it"
    )


@app.command("verify")
def verify_command(
    service: Annotated[str, typer.Option(help="invoicing | collections | kpi | escalation")],
    database_url: Annotated[str | None, typer.Option(help="Overrides the service's DATABASE_URL setting")] = None,
    anchor: Annotated[
        str | None,
        typer.Option(help="SEQ:HASH of a head printed by an earlier run: it must still be in the chain with that hash"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Recompute every link of the service's audit chain; exit 1 at the first broken one."""
    url = database_url or service_database_url(service)
    try:
        parsed = Anchor.parse(anchor) if anchor else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    report = asyncio.run(verify_url(url, parsed))
    if as_json:
        print(
            json.dumps(
                {
                    "service": service,
                    "intact": report.intact,
                    "links": report.links,
                    "head": f"{report.head.seq}:{report.head.hash}" if report.head else None,
                    "problem": report.problem,
                    "seq": report.seq,
                    "audit_id": report.audit_id,
                    "detail": report.detail,
                }
            )
        )
    else:
        console.print(describe(service, report), style="green" if report.intact else "red", highlight=False)
    if not report.intact:
        raise typer.Exit(1)
