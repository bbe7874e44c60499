"""Degrade, don't die (issue 15 item 4): a service starts and serves HTTP while the broker is down, readiness
reports the broker (liveness does not), relay and consumers connect when the broker comes back; the Kafka
client's log lines are rate-limited; concurrent readiness probes share one run of the checks."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker, free_port
from o2c_cli.testing import Infra, MigratedDatabases, bearer, serving
from o2c_common.db import Database
from o2c_common.observability import configure_logging, health_router
from o2c_common.observability.logs import RateLimitFilter
from o2c_escalation.config import EscalationSettings
from o2c_escalation.main import create_app

from .helpers import eventually

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[2] / "services" / "escalation", "degrade")
ADMIN = bearer("ada", "admin")


@pytest_asyncio.fixture(loop_scope="session")
async def esc_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


async def test_a_service_serves_while_the_broker_is_down_and_connects_when_it_returns(
    esc_db: Database, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    settings = EscalationSettings(database_url=esc_db.url, kafka_bootstrap_servers=f"127.0.0.1:{port}",
                                  run_workers=True, log_json=False, environment="test",
                                  outbox_retry_max_backoff_s=1.0)
    app = create_app(settings)
    broker = TansuBroker(port=port, log_path=tmp_path / "tansu.log")
    try:
        async with asyncio.timeout(60), serving(app, base_url="http://escalation") as client:
            assert (await client.get("/health/live")).status_code == 200
            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            checks = ready.json()["checks"]
            assert checks["broker"]["status"] == "fail" and "not connected to the broker" in checks["broker"]["error"]
            assert checks["database"]["status"] == "ok"
            case = await client.post("/cases", headers=ADMIN, json={
                "title": "Broker down", "description": "written while the broker is away",
                "requester_function": "sales",
                "category": "portal", "severity": "P3"})
            assert case.status_code == 201, case.text
            assert (await client.get("/cases", headers=ADMIN)).status_code == 200

            broker.start()
            await eventually(lambda: _ready(client), timeout=45, message="ready once the broker is back")
            await eventually(lambda: _published(esc_db), timeout=30, message="the outbox row written while down")
    finally:
        broker.stop()


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/health/ready")).status_code == 200


async def _published(db: Database) -> bool:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT count(*) FILTER (WHERE published_at IS NULL), count(*) FROM outbox"))).one()
    return rows[1] > 0 and rows[0] == 0


def test_kafka_client_log_lines_are_rate_limited() -> None:
    now = [0.0]
    stream = io.StringIO()
    configure_logging(level="INFO", json=False, stream=stream)
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "o2c-structlog")
    handler.filters = [RateLimitFilter(burst=3, window_s=60, clock=lambda: now[0])]
    noisy = logging.getLogger("aiokafka.conn")
    ours = logging.getLogger("o2c.test")
    for _ in range(100):
        noisy.error("Unable connect to node with id %s: %s", 1, "refused")
        ours.warning("our own line")
    logged = stream.getvalue()
    assert logged.count("Unable connect to node") == 3
    assert logged.count("our own line") == 100  # only the Kafka client is limited
    now[0] = 61.0
    noisy.error("Unable connect to node with id %s: %s", 1, "refused")
    assert "97 similar lines suppressed in the last 60s" in stream.getvalue()


async def test_concurrent_readiness_probes_share_one_run_of_the_checks() -> None:
    runs = 0

    async def slow_check(_: object) -> None:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.2)

    app = FastAPI()
    app.include_router(health_router(checks={"database": slow_check}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answers = await asyncio.gather(*(client.get("/health/ready") for _ in range(50)))
    assert {a.status_code for a in answers} == {200}
    assert runs == 1

