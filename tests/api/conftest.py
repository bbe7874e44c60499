"""Fixtures of the HTTP edge tests: each service's app, in-process over ASGI with its real lifespan, on a migrated
database of its own (workers off: the edge is what is tested)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from o2c_cli.testing import Infra, MigratedDatabases, ServiceHarness, serving
from o2c_collections.config import CollectionsSettings
from o2c_collections.main import create_app as collections_app
from o2c_common.settings import ServiceSettings
from o2c_escalation.config import EscalationSettings
from o2c_escalation.main import create_app as escalation_app
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.main import create_app as invoicing_app
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import create_app as kpi_app
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.main import create_app as workforce_app

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServiceKind:
    name: str
    settings: type[ServiceSettings]
    create_app: Callable[[Any], FastAPI]
    databases: MigratedDatabases


SERVICES = {
    "invoicing": ServiceKind("invoicing", InvoicingSettings, invoicing_app,
                             MigratedDatabases(ROOT / "services" / "invoicing", "apiinv")),
    "collections": ServiceKind("collections", CollectionsSettings, collections_app,
                               MigratedDatabases(ROOT / "services" / "collections", "apicol")),
    "kpi": ServiceKind("kpi", KpiSettings, kpi_app, MigratedDatabases(ROOT / "services" / "kpi", "apikpi")),
    "escalation": ServiceKind("escalation", EscalationSettings, escalation_app,
                              MigratedDatabases(ROOT / "services" / "escalation", "apiesc")),
    "workforce": ServiceKind("workforce", WorkforceSettings, workforce_app,
                             MigratedDatabases(ROOT / "services" / "workforce", "apiwf")),
}


@asynccontextmanager
async def running(infra: Infra, name: str, **overrides: Any) -> AsyncIterator[ServiceHarness]:
    """The service ``name`` serving over ASGI on a fresh migrated database, with ``overrides`` of its settings."""
    kind = SERVICES[name]
    async with kind.databases.database(infra) as db:
        values: dict[str, Any] = {"run_workers": False, "log_json": False, "environment": "test", **overrides}
        settings = kind.settings(database_url=db.url, kafka_bootstrap_servers=infra.kafka_bootstrap, **values)
        app = kind.create_app(settings)
        async with serving(app, base_url=f"http://{name}") as client:
            yield ServiceHarness(app=app, client=client, db=db)
