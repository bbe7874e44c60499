"""The shape every service app shares: lifespan, errors, observability, health, auth, workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from o2c_common.auth import JWTVerifier
from o2c_common.db.database import Database
from o2c_common.errors import install_problem_handlers
from o2c_common.http.docs import install_offline_docs
from o2c_common.http.edge import EdgeMiddleware, EdgeRejection, edge_rejection_response
from o2c_common.http.idempotency_store import IdempotencyStore
from o2c_common.http.openapi import install_exact_openapi
from o2c_common.observability import (
    Metrics,
    NotReady,
    configure_logging,
    database_check,
    health_router,
    install_observability,
)
from o2c_common.outbox.relay import outbox_backlog
from o2c_common.runtime import settle_heap
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions
from o2c_common.workers import ConsumerSpec, Workers

ConsumersFactory = Callable[[ServiceSettings], list[ConsumerSpec]]


class BackgroundWorker(Protocol):
    """A service's own durable background work (timer sweeps, webhook deliveries…) beside relay and consumers."""

    def start(self) -> None: ...

    def running(self) -> bool: ...

    async def stop(self) -> None: ...


BackgroundFactory = Callable[[FastAPI], BackgroundWorker]


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    consumers: ConsumersFactory | None = None,
    background: BackgroundFactory | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """The app of one service. ``consumers`` and ``background`` run only where ``run_workers`` is set;
    readiness then requires them to be running."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(level=settings.log_level, json=settings.log_json, service=settings.service_name)
        metrics = Metrics(service=settings.service_name)
        db = Database(settings.database_url, pool_size=settings.database_pool_size,
                      max_overflow=settings.database_max_overflow)
        transactions = Transactions(db=db, source=f"/o2c/{settings.service_name}", slots=settings.outbox_slots)
        app.state.settings, app.state.metrics, app.state.db = settings, metrics, db
        app.state.transactions = transactions
        app.state.jwt_verifier = JWTVerifier.from_settings(settings)
        app.state.idempotency = IdempotencyStore.from_settings(database=db, settings=settings)
        specs = consumers(settings) if consumers else []
        workers = Workers(
            settings=settings, transactions=transactions, consumers=specs,
            on_published=lambda topic, type_, n: metrics.events_published_total.labels(topic=topic, type=type_).inc(
                n),
            on_consumed=lambda topic, group, n: metrics.events_consumed_total.labels(topic=topic, group=group).inc(n),
            on_dead_letter=lambda group: metrics.dead_letters_total.labels(group=group).inc(),
            on_skipped=lambda group, type_, n: metrics.events_skipped_total.labels(group=group, type=type_).inc(n),
            on_refused=lambda group, reason: metrics.events_refused_total.labels(group=group, reason=reason).inc(),
        ) if settings.run_workers else None
        app.state.workers = workers
        app.state.background = None
        try:
            if workers is not None:
                await workers.start()
                if background is not None:
                    app.state.background = background(app)
                    app.state.background.start()
            settle_heap()
            yield
        finally:
            if app.state.background is not None:
                await app.state.background.stop()
            if workers is not None:
                await workers.stop()
            await db.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json" if settings.expose_openapi else None)
    install_problem_handlers(app)
    app.add_exception_handler(EdgeRejection, _edge_rejection)
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.http_max_body_bytes,
                       max_upload_bytes=settings.http_max_upload_bytes)
    install_observability(app)
    operations = health_router(
        checks={"database": database_check(), "broker": _broker_check, "workers": _workers_check},
        before_scrape=[_sample_worker_metrics],
    )
    if not settings.expose_metrics:
        operations.routes[:] = [r for r in operations.routes if getattr(r, "path", None) != "/metrics"]
    app.include_router(operations)
    if settings.expose_openapi and settings.expose_docs:
        install_offline_docs(app)
    for router in routers:
        app.include_router(router)
    install_exact_openapi(app)
    return app


async def _edge_rejection(request: Request, exc: Exception) -> Response:
    return edge_rejection_response(exc, instance=request.url.path)


async def _broker_check(request: Request) -> None:
    """Relay and consumers connected to the broker (liveness never looks at it: the API serves without it)."""
    workers: Workers | None = request.app.state.workers
    problem = workers.broker_problem() if workers is not None else None
    if problem is not None:
        raise NotReady(problem)


async def _workers_check(request: Request) -> None:
    workers: Workers | None = request.app.state.workers
    if workers is None:
        return  # API-only replica: workers run in their own deployment
    crashed = workers.crashed()
    if crashed:
        raise NotReady(f"worker tasks ended: {', '.join(crashed)}")
    background: BackgroundWorker | None = request.app.state.background
    if background is not None and not background.running():
        raise NotReady("background work not running")


async def _sample_worker_metrics(request: Request) -> None:
    metrics: Metrics = request.app.state.metrics
    db: Database = request.app.state.db
    async with db.engine.connect() as conn:
        backlog, age = await outbox_backlog(conn, slots=request.app.state.settings.outbox_slots)
    metrics.outbox_backlog.set(backlog)
    metrics.outbox_oldest_age_seconds.set(age)
    workers: Workers | None = request.app.state.workers
    for consumer in workers.consumers if workers else []:
        for (topic, partition), lag in consumer.stats.lag.items():
            metrics.consumer_lag.labels(topic=topic, partition=str(partition), group=consumer.group_id).set(lag)
