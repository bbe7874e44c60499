"""Readiness of a service app built by create_service_app, against real PostgreSQL and the real broker."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from o2c_cli.testing import Infra
from o2c_common.app import create_service_app
from o2c_common.db import Database
from o2c_common.settings import ServiceSettings


class Background:
    def __init__(self) -> None:
        self.started = self.stopped = False
        self.alive = True

    def start(self) -> None:
        self.started = True

    def running(self) -> bool:
        return self.alive

    async def stop(self) -> None:
        self.stopped = True


async def test_ready_needs_database_relay_and_background_work(pg_db: Database, infra: Infra) -> None:
    background = Background()
    settings = ServiceSettings(service_name="readiness", database_url=pg_db.url,
                               kafka_bootstrap_servers=infra.kafka_bootstrap, run_workers=True)
    app = create_service_app(settings=settings, title="t", description="t", routers=[],
                             background=lambda _: background)
    async with app.router.lifespan_context(app), _client(app) as client:
        # the relay connects to the broker in the background: ready once it has (checks run at most once a second)
        ready = await _until(client, 200)
        assert set(ready.json()["checks"]) == {"database", "broker", "workers"}
        background.alive = False
        not_ready = await _until(client, 503)
        assert "background" in not_ready.text
        assert (await client.get("/health/live")).status_code == 200
    assert background.started and background.stopped


async def test_api_only_replica_is_ready_without_workers(pg_db: Database) -> None:
    settings = ServiceSettings(database_url=pg_db.url, kafka_bootstrap_servers="127.0.0.1:1", run_workers=False)
    app: FastAPI = create_service_app(settings=settings, title="t", description="t", routers=[])
    async with app.router.lifespan_context(app), _client(app) as client:
        assert (await client.get("/health/ready")).status_code == 200


async def _until(client: httpx.AsyncClient, status: int, *, timeout: float = 20) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get("/health/ready")
        if response.status_code == status or asyncio.get_running_loop().time() > deadline:
            assert response.status_code == status, response.text
            return response
        await asyncio.sleep(0.2)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
