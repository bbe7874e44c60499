"""Bring the whole system up on one machine: PostgreSQL, the broker, migrations and four services."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from o2c_cli.localstack import (
    LOCAL_IDLE_FETCH_MAX_WAIT_MS,
    LOCAL_SESSION_TIMEOUT_MS,
    LOCAL_TOPIC_PARTITIONS,
    EmbeddedPostgres,
    TansuBroker,
    ensure_port_free,
    wait_for_port,
)
from o2c_cli.services import SERVICES, ServiceInfo
from o2c_common.db.migrate import upgrade
from o2c_common.db.roles import OWNER_ROLE, SERVICE_ROLE, service_role_for
from o2c_common.events.base import TOPICS
from o2c_common.kafka import ensure_topics

KEEP_ALIVE_S = 75
"""How long uvicorn keeps an idle connection open. Above every client pool's idle expiry (httpx: 5 s, Go and
browsers up to 60 s), so that the client always closes first: with uvicorn's default (5 s, httpx's expiry too)
a request sent on a connection the server is closing at that moment fails with ReadError/RemoteProtocolError."""


def uvicorn_command(app_factory: str, *, host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app_factory, "--factory", "--host", host, "--port", str(port),
            "--no-access-log", "--timeout-graceful-shutdown", "10", "--timeout-keep-alive", str(KEEP_ALIVE_S)]


@dataclass
class StackConfig:
    data_dir: Path
    pg_port: int = 55432
    kafka_port: int = 19092
    host: str = "127.0.0.1"
    external_pg_url: str | None = None  # postgresql+asyncpg://user:pw@host:port (no database)
    external_kafka: str | None = None
    ports: dict[str, int] = field(default_factory=lambda: {n: s.port for n, s in SERVICES.items()})
    extra_env: dict[str, str] = field(default_factory=dict)
    durable_pg: bool = True
    simulator_port: int | None = None  # demo mode: run the customer-portal simulator there (invoicing's default portal)
    mail_port: int | None = 1025  # the local mail server every service sends through (None: use the environment's)
    topic_partitions: int = LOCAL_TOPIC_PARTITIONS  # of the topics the stack and its services create


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.pg: EmbeddedPostgres | None = None
        self.broker: TansuBroker | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def pg_url(self) -> str:
        if self.config.external_pg_url:
            return self.config.external_pg_url
        assert self.pg is not None
        return self.pg.url

    @property
    def kafka(self) -> str:
        if self.config.external_kafka:
            return self.config.external_kafka
        assert self.broker is not None
        return self.broker.bootstrap_servers

    def database_url(self, service: ServiceInfo) -> str:
        """The URL the service runs with: on the embedded server its service role (INSERT/SELECT only on the
        audit trail); on an external server the one URL given, for migrations too."""
        if self.pg is not None:
            return self.pg.role_url(SERVICE_ROLE, service.database)
        return f"{self.pg_url}/{service.database}"

    def migration_url(self, service: ServiceInfo) -> str:
        """The owner's URL: the database's owner on the embedded server (o2c_owner; postgres for a data
        directory made before the roles existed), else the one URL given."""
        if self.pg is not None:
            owner = self.pg.psql(f"SELECT pg_get_userbyid(datdba) FROM pg_database "  # noqa: S608 - our own name
                                 f"WHERE datname = '{service.database}'").strip()
            return self.pg.role_url(owner or OWNER_ROLE, service.database)
        return f"{self.pg_url}/{service.database}"

    def start_infra(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.config.external_pg_url:
            self.pg = EmbeddedPostgres(self.config.data_dir / "pgdata", port=self.config.pg_port,
                                       durable=self.config.durable_pg)
            self.pg.start()
        if not self.config.external_kafka:
            self.broker = TansuBroker(port=self.config.kafka_port, log_path=self.config.data_dir / "tansu.log")
            self.broker.start()

    def create_databases(self) -> None:
        owner = OWNER_ROLE if self.pg is not None else None
        asyncio.run(_create_databases(self.pg_url, [s.database for s in SERVICES.values()], owner=owner))

    def create_topics(self) -> list[str]:
        return asyncio.run(ensure_topics(self.kafka, TOPICS.values(), partitions=self.config.topic_partitions,
                                         replication_factor=1))

    def migrate(self, service: ServiceInfo) -> None:
        owner_url, service_url = self.migration_url(service), self.database_url(service)
        upgrade(service.directory(), owner_url, service_role=service_role_for(owner_url, service_url))

    def service_env(self, service: ServiceInfo) -> dict[str, str]:
        p = service.env_prefix
        return {
            **os.environ,
            f"{p}DATABASE_URL": self.database_url(service),
            f"{p}DATABASE_MIGRATION_URL": self.migration_url(service),
            f"{p}KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            f"{p}HTTP_PORT": str(self.config.ports[service.name]),
            f"{p}ENVIRONMENT": os.environ.get(f"{p}ENVIRONMENT", "dev"),
            "O2C_CONSUMER_SESSION_TIMEOUT_MS": os.environ.get("O2C_CONSUMER_SESSION_TIMEOUT_MS",
                                                              str(LOCAL_SESSION_TIMEOUT_MS)),
            "O2C_CONSUMER_IDLE_FETCH_MAX_WAIT_MS": os.environ.get("O2C_CONSUMER_IDLE_FETCH_MAX_WAIT_MS",
                                                                  str(LOCAL_IDLE_FETCH_MAX_WAIT_MS)),
            "O2C_KAFKA_TOPIC_PARTITIONS": str(self.config.topic_partitions),  # their dead-letter topics alike
            **({"INVOICING_PORTAL_BASE_URL": self.simulator_url} if self.simulator_url else {}),
            **({f"{p}SMTP_HOST": self.config.host, f"{p}SMTP_PORT": str(self.config.mail_port)}
               if self.config.mail_port else {}),
            **(self.reconciliation_env() if service.name == "kpi" else {}),
            **self.config.extra_env,
        }

    def reconciliation_env(self) -> dict[str, str]:
        """kpi's reconciliation reads invoicing and collections where this stack runs them (its token is signed
        with the shared dev JWT secret)."""
        host, ports = self.config.host, self.config.ports
        return {"KPI_RECON_INVOICING_URL": f"http://{host}:{ports['invoicing']}",
                "KPI_RECON_COLLECTIONS_URL": f"http://{host}:{ports['collections']}"}

    @property
    def simulator_url(self) -> str | None:
        port = self.config.simulator_port
        return f"http://{self.config.host}:{port}" if port else None

    def start_simulator(self, **overrides: str) -> None:
        """The customer-portal simulator (o2c_invoicing.simulator), calling invoicing back with signed statuses;
        some demo submissions are rejected, the rest approved, scheduled and paid after short delays.
        ``overrides``: its PORTAL_SIM_* settings (a test's own rules and delays)."""
        port = self.config.simulator_port
        assert port is not None
        ensure_port_free(port, what="portal simulator", host=self.config.host)
        (self.config.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        out = open(self.config.data_dir / "logs" / "portal-simulator.log", "ab")  # noqa: SIM115 - the child's
        invoicing = f"http://{self.config.host}:{self.config.ports['invoicing']}"
        # Statuses come back as the standards' messages (Peppol Invoice Response, cXML StatusUpdateRequest).
        env = {"PORTAL_SIM_CALLBACK_URL": f"{invoicing}/portal/callbacks",
               "PORTAL_SIM_MESSAGES_URL": f"{invoicing}/portal/messages", "PORTAL_SIM_REJECTION_RATE": "0.25",
               "PORTAL_SIM_REVIEW_DELAY_S": "5", "PORTAL_SIM_SCHEDULE_DELAY_S": "20", "PORTAL_SIM_PAY_DELAY_S": "60"}
        self.processes["portal-simulator"] = subprocess.Popen(
            uvicorn_command("o2c_invoicing.simulator.app:create_app", host=self.config.host, port=port),
            env={**os.environ, **env, **self.config.extra_env, **overrides}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for_port(self.config.host, port, timeout=30, process=self.processes["portal-simulator"])

    def start_mail(self) -> Path:
        """The local mail server (`o2c mail serve`): keeps every message the services send, for `o2c mail list`."""
        port = self.config.mail_port
        assert port is not None
        ensure_port_free(port, what="local mail server", host=self.config.host)
        directory = self.config.data_dir / "mail"
        (self.config.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        out = open(self.config.data_dir / "logs" / "mail.log", "ab")  # noqa: SIM115 - the child's
        self.processes["mail"] = subprocess.Popen(
            [sys.executable, "-m", "o2c_cli.mail", "serve", "--dir", str(directory), "--host", self.config.host,
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.config.host, port, timeout=30, process=self.processes["mail"])
        return directory

    def start_service(self, service: ServiceInfo) -> None:
        ensure_port_free(self.config.ports[service.name], what=service.name, host=self.config.host)
        logs = self.config.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        out = open(logs / f"{service.name}.log", "ab")  # noqa: SIM115 - owned by the child process
        self.processes[service.name] = subprocess.Popen(
            uvicorn_command(service.app_factory, host=self.config.host, port=self.config.ports[service.name]),
            env=self.service_env(service), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, service: ServiceInfo, *, timeout: float = 60) -> float:
        started = time.monotonic()
        port = self.config.ports[service.name]
        wait_for_port(self.config.host, port, timeout=timeout, process=self.processes.get(service.name))
        url = f"http://{self.config.host}:{port}/health/ready"
        while time.monotonic() - started < timeout:
            proc = self.processes.get(service.name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{service.name} exited with code {proc.returncode}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service.name} not ready after {timeout}s ({url})")

    def start_services(self, *, timeout: float = 180) -> None:
        """Databases, topics and migrations, then every service started and ready (the infrastructure is up, and the
        mail server too when the services should use it). For tests and benches; ``o2c dev`` shows each step."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.create_databases()
        self.create_topics()
        for service in SERVICES.values():
            self.migrate(service)
        for service in SERVICES.values():
            self.start_service(service)
        for service in SERVICES.values():
            self.wait_ready(service, timeout=timeout)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.processes.clear()
        if self.broker is not None:
            self.broker.stop()
        if self.pg is not None:
            self.pg.stop()


async def _create_databases(pg_url: str, names: list[str], *, owner: str | None = None) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{pg_url}/postgres".replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"' + (f" OWNER {owner}" if owner else ""))
    finally:
        await conn.close()
