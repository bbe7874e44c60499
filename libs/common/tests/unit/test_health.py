"""/health/live, /health/ready and /metrics, and the lifespan wiring they rely on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from o2c_common.auth import CurrentPrincipal, JWTVerifier
from o2c_common.errors import install_problem_handlers
from o2c_common.observability import (
    Metrics,
    NotReady,
    database_check,
    health_router,
    install_observability,
)
from o2c_common.settings import ServiceSettings


class FakeDatabase:
    def __init__(self, *, up: bool) -> None:
        self.up = up

    async def ping(self) -> None:
        if not self.up:
            raise ConnectionRefusedError("connect to postgres://admin:hunter2@db failed")


async def consumers_check(request: Request) -> None:
    if not request.app.state.consumers_running:
        raise NotReady("consumer collections-invoices stopped")


async def slow_check(request: Request) -> None:
    await asyncio.sleep(5)


async def refresh_outbox(request: Request) -> None:
    request.app.state.metrics.outbox_backlog.set(42)


def build_app(*, db_up: bool = True, consumers_running: bool = True, slow: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = ServiceSettings(service_name="test", jwt_secret="x" * 40)
        app.state.metrics = Metrics(service=settings.service_name, include_process=False)
        app.state.jwt_verifier = JWTVerifier.from_settings(settings)
        app.state.db = FakeDatabase(up=db_up)
        app.state.consumers_running = consumers_running
        yield

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)
    install_observability(app)
    checks = {"database": database_check(), "consumers": consumers_check}
    if slow:
        checks["slow"] = slow_check
    app.include_router(health_router(checks=checks, timeout_s=0.2, before_scrape=[refresh_outbox]))

    @app.get("/private")
    async def private(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    return app


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_live_needs_no_token_and_no_dependency() -> None:
    async with running(build_app(db_up=False, consumers_running=False)) as client:
        response = await client.get("/health/live")
        assert response.status_code == 200
        assert response.json() == {"status": "alive"}
        assert (await client.get("/private")).status_code == 401  # the app does require tokens elsewhere


async def test_ready_when_every_check_passes() -> None:
    async with running(build_app()) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "consumers"}
    assert all(check["status"] == "ok" and check["error"] is None for check in body["checks"].values())


async def test_not_ready_lists_failing_checks_without_leaking_details() -> None:
    async with running(build_app(db_up=False, consumers_running=False)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == {
        "status": "fail",
        "duration_ms": body["checks"]["database"]["duration_ms"],
        "error": "ConnectionRefusedError",
    }
    assert "hunter2" not in response.text
    assert body["checks"]["consumers"]["error"] == "consumer collections-invoices stopped"


async def test_slow_check_times_out() -> None:
    async with running(build_app(slow=True)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["slow"]["error"].startswith("timed out")
    assert response.json()["checks"]["database"]["status"] == "ok"


async def test_not_ready_before_lifespan_built_the_database() -> None:
    app = build_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/health/ready")  # lifespan not run: nothing on app.state
        assert response.status_code == 503
        assert response.json()["checks"]["database"]["error"] == "database not initialised"
        assert (await client.get("/metrics")).status_code == 503


async def test_metrics_endpoint_exposes_registry_without_token() -> None:
    async with running(build_app()) as client:
        await client.get("/health/live")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'http_requests_total{method="GET",route="/health/live",status="200"} 1.0' in text
    assert "outbox_backlog 42.0" in text  # refreshed by the before_scrape hook


async def test_health_routes_are_documented_without_security() -> None:
    schema = build_app().openapi()
    assert "security" not in schema["paths"]["/health/ready"]["get"]
    assert "503" in schema["paths"]["/health/ready"]["get"]["responses"]
