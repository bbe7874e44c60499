"""The o2c command line: one entry point that later features extend with sub-commands."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from o2c_cli.lazy import Lazy, LazyGroup
from o2c_cli.paths import DEFAULT_DATA_DIR
from o2c_cli.services import SERVICES


class O2cGroup(LazyGroup):
    """The commands below are imported only when run: `o2c token` and `o2c --help` stay light."""

    lazy = {
        "audit": Lazy("o2c_cli.audit", "app", "The audit trail's hash chain"),
        "dlq": Lazy("o2c_cli.dlq", "app", "Dead letters: list them, replay them after a fix"),
        "outbox": Lazy("o2c_cli.outbox", "app", "Outbox: publish stored events again after the broker lost them"),
        "collections": Lazy("o2c_cli.collections", "app", "Collections: history import, bank file import"),
        "history": Lazy("o2c_cli.history", "app",
                        "History: replay past invoices and payments through the running services"),
        "kpi": Lazy("o2c_cli.kpi", "app", "KPIs: rebuild the read models from the topics; FX rates (ECB import)"),
        "invoicing": Lazy("o2c_cli.invoicing", "app", "Invoicing: CSV import and bulk submission through the API"),
        "mail": Lazy("o2c_cli.mail", "app", "The local mail server of `make dev` and the messages it kept"),
        "reconcile": Lazy("o2c_cli.reconcile", "reconcile_command",
                          "Per invoice, invoicing's settlement, collections' ledger and kpi's AR must agree"),
    }


app = typer.Typer(cls=O2cGroup, help="o2c — Order-to-Cash operations platform", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="Where PostgreSQL data and logs live")] = DEFAULT_DATA_DIR,
    reset: Annotated[bool, typer.Option(help="Delete local data first")] = False,
    demo: Annotated[bool, typer.Option(help="Load demo data once the services are ready")] = False,
    pg_port: Annotated[int, typer.Option(envvar="O2C_DEV_PG_PORT")] = 55432,
    kafka_port: Annotated[int, typer.Option(envvar="O2C_DEV_KAFKA_PORT")] = 19092,
    mail_port: Annotated[int, typer.Option(envvar="O2C_DEV_MAIL_PORT", min=0, max=65535,
                                           help="The local mail server's SMTP port (0: none, use the settings')")
                         ] = 1025,
    external_pg: Annotated[str | None, typer.Option(envvar="O2C_DEV_PG_URL",
                                                    help="Use this PostgreSQL server (URL without database)")] = None,
    external_kafka: Annotated[str | None, typer.Option(envvar="O2C_DEV_KAFKA_BOOTSTRAP",
                                                       help="Use this Kafka cluster instead of Tansu")] = None,
    partitions: Annotated[int | None, typer.Option(envvar="O2C_DEV_TOPIC_PARTITIONS", min=1, max=64,
                                                   help="Partitions of each topic the stack creates, at most as many "
                                                        "processes of one consumer group share its work [default: "
                                                        "2]")] = None,
    exit_when_ready: Annotated[bool, typer.Option(help="Stop everything once all services are ready")] = False,
) -> None:
    """Start the whole system locally: PostgreSQL, the Kafka-protocol broker, a mail server and the five services."""
    from o2c_cli.localstack import LOCAL_TOPIC_PARTITIONS, PortInUse, remove_tree
    from o2c_cli.stack import Stack, StackConfig
    from o2c_cli.supervise import settings_problems, stack_supervisor

    if reset:
        remove_tree(data_dir)
    stack = Stack(StackConfig(data_dir=data_dir.resolve(), pg_port=pg_port, kafka_port=kafka_port,
                              external_pg_url=external_pg, external_kafka=external_kafka,
                              simulator_port=8010 if demo else None, mail_port=mail_port or None,
                              topic_partitions=partitions or LOCAL_TOPIC_PARTITIONS))
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # also when started in the background, where SIGINT is inherited ignored
    started = time.monotonic()
    try:
        with console.status("starting PostgreSQL and the broker…"):
            stack.start_infra()
        console.print(f"[green]✓[/] PostgreSQL {stack.pg_url}   broker {stack.kafka}")
        with console.status("creating databases and topics…"):
            stack.create_databases()
            stack.create_topics()
        for service in SERVICES.values():
            with console.status(f"migrating {service.name}…"):
                stack.migrate(service)
        console.print("[green]✓[/] databases migrated")
        if stack.config.mail_port:
            mail_dir = stack.start_mail()
            console.print(f"[green]✓[/] local mail server smtp://127.0.0.1:{stack.config.mail_port} "
                          f"(every message kept in {mail_dir}; read them with [bold]o2c mail list[/])")
        problems = settings_problems(stack)
        if problems:
            for problem in problems:
                console.print(f"[red]✗[/] {problem}")
            raise typer.Exit(2)
        for service in SERVICES.values():
            stack.start_service(service)
        if demo:
            stack.start_simulator()
        table = Table(title="o2c is running", title_justify="left")
        for column in ("service", "url", "ready after"):
            table.add_column(column)
        for service in SERVICES.values():
            with console.status(f"waiting for {service.name} to be ready…"):
                stack.wait_ready(service)
            url = f"http://127.0.0.1:{stack.config.ports[service.name]}"
            table.add_row(service.name, f"{url}/docs", f"{time.monotonic() - started:.1f}s")
        console.print(table)
        if demo:
            from o2c_cli.demo import load_demo

            load_demo(console=console, simulator_url=stack.simulator_url,
                      kpi_url=f"http://127.0.0.1:{stack.config.ports['kpi']}",
                      workforce_url=f"http://127.0.0.1:{stack.config.ports['workforce']}")
        console.print(f"logs in {data_dir / 'logs'}; a token: [bold]o2c token --role admin[/]; Ctrl-C stops everything")
        if exit_when_ready:
            return
        supervisor = stack_supervisor(stack, console)
        while True:  # a process that dies is restarted (or reported), the others keep running
            supervisor.check()
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopping…")
    except PortInUse as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc
    finally:
        stack.stop()
        console.print("[green]✓[/] stopped")


@app.command()
def token(
    subject: Annotated[str, typer.Option(help="Who the token speaks for")] = "dev-user",
    role: Annotated[list[str] | None, typer.Option(help="Role (repeatable)")] = None,
    team: Annotated[str | None, typer.Option(help="Team (vendor agents see only their team)")] = None,
    ttl_minutes: Annotated[int, typer.Option(min=1, max=60 * 24 * 30, help=(
        "Lifetime; the services refuse tokens living longer than O2C_JWT_MAX_LIFETIME_S (12 hours by default)"))
    ] = 12 * 60,
    secret: Annotated[str | None, typer.Option(envvar="O2C_JWT_SECRET", help="HS256 secret")] = None,
) -> None:
    """Mint a bearer token for local use (HS256 with the dev secret unless O2C_JWT_SECRET is set)."""
    from o2c_common.auth.mint import mint_token
    from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings

    settings = ServiceSettings()
    if ttl_minutes * 60 > settings.jwt_max_lifetime_s:
        raise typer.BadParameter(f"{ttl_minutes} minutes is longer than the services accept "
                                 f"(O2C_JWT_MAX_LIFETIME_S: {settings.jwt_max_lifetime_s // 60} minutes)",
                                 param_hint="--ttl-minutes")
    print(mint_token(
        secret=secret or os.environ.get("O2C_JWT_SECRET", DEV_JWT_SECRET), subject=subject,
        roles=role or ["admin"], team=team, ttl=timedelta(minutes=ttl_minutes),
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
    ))


@db_app.command("upgrade")
def db_upgrade(
    service: Annotated[str, typer.Argument(help="invoicing | collections | kpi | escalation | all")] = "all",
    database_url: Annotated[str | None, typer.Option(help="Overrides the service's DATABASE_URL setting")] = None,
) -> None:
    """Apply a service's migrations (the Kubernetes migration Job runs this) as the owner
    (DATABASE_MIGRATION_URL, else DATABASE_URL), then grant the service's role (DATABASE_URL's user) its rights."""
    import importlib

    from o2c_common.db.migrate import upgrade
    from o2c_common.db.roles import service_role_for
    from o2c_common.settings import migration_urls_of

    names = list(SERVICES) if service == "all" else [service]
    for name in names:
        if name not in SERVICES:
            raise typer.BadParameter(f"unknown service {name!r}")
        info = SERVICES[name]
        config_module = importlib.import_module(f"{info.package}.config")
        owner_url, service_url = migration_urls_of(getattr(config_module, f"{name.capitalize()}Settings"))
        url = database_url or owner_url
        upgrade(info.directory(), url, service_role=service_role_for(url, service_url))
        console.print(f"[green]✓[/] {name} migrated")


@app.command()
def services() -> None:
    """List the services, their ports and settings prefixes."""
    print(json.dumps({n: {"port": s.port, "env_prefix": s.env_prefix} for n, s in SERVICES.items()}, indent=2))
