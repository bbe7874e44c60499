"""``/health/live``, ``/health/ready`` and ``/metrics``: no token needed.

* ``/health/live`` answers 200 as long as the process serves requests (Kubernetes liveness: restart
  only a process that no longer answers; never depend on the database here).
* ``/health/ready`` runs every readiness check concurrently, each bounded by a timeout, and answers 200
  when all pass, else 503; the body lists each check's status and duration. It stays cheap under load: the
  checks run at most once per ``cache_s`` and concurrent probes share one run (a probe storm on a busy
  service is one database ping, not hundreds queued behind the request traffic).
* ``/metrics`` renders ``app.state.metrics`` in the Prometheus text format, after running the
  optional ``before_scrape`` hooks (e.g. refresh ``outbox_backlog`` from the database).

A readiness check is ``async def check(request) -> object``: returning ``None``/``True`` means ready,
``False`` means not ready, raising :class:`NotReady` gives a message shown in the body, any other
exception fails the check with only its class name shown (the details are logged). Checks look up
what they need on ``request.app.state`` at call time, so the router can be built before the lifespan
has created the database or the consumers::

    app.include_router(health_router(checks={
        "database": database_check(),
        "consumers": consumers_check,   # e.g. raises NotReady("consumer invoicing-events stopped")
    }))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from o2c_common.observability.metrics import Metrics

log = structlog.get_logger("o2c.health")

ReadinessCheck = Callable[[Request], Awaitable[object]]
ScrapeHook = Callable[[Request], Awaitable[None]]


class NotReady(Exception):
    """Raised by a readiness check; its message is shown in the ``/health/ready`` body."""


class CheckResult(BaseModel):
    status: Literal["ok", "fail"]
    duration_ms: float
    error: str | None = None


class ReadinessReport(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, CheckResult]


class Liveness(BaseModel):
    status: Literal["alive"] = "alive"


def database_check(*, state_attr: str = "db") -> ReadinessCheck:
    """A check pinging the :class:`o2c_common.db.Database` found at ``app.state.<state_attr>``."""

    async def check(request: Request) -> None:
        database = getattr(request.app.state, state_attr, None)
        if database is None:
            raise NotReady("database not initialised")
        await database.ping()

    return check


async def _run_check(name: str, check: ReadinessCheck, request: Request, timeout_s: float) -> CheckResult:
    start = time.perf_counter()
    error: str | None = None
    try:
        outcome = await asyncio.wait_for(check(request), timeout=timeout_s)
        if outcome is False:
            error = "reported not ready"
    except NotReady as exc:
        error = str(exc) or "not ready"
    except TimeoutError:
        error = f"timed out after {timeout_s:g}s"
    except Exception as exc:
        error = type(exc).__name__
        log.warning("readiness_check_failed", check=name, error=repr(exc))
    duration_ms = round((time.perf_counter() - start) * 1000, 3)
    return CheckResult(status="fail" if error else "ok", duration_ms=duration_ms, error=error)


def health_router(
    *,
    checks: Mapping[str, ReadinessCheck] | None = None,
    timeout_s: float = 2.0,
    before_scrape: Sequence[ScrapeHook] = (),
    metrics_path: str = "/metrics",
    tags: Sequence[str] = ("operations",),
    cache_s: float = 1.0,
) -> APIRouter:
    """The operations router; include it without any auth dependency."""
    router = APIRouter(tags=list(tags))
    named_checks = dict(checks or {})
    hooks = list(before_scrape)
    latest: dict[str, Any] = {}  # "at": monotonic time of the last run, "run": its task

    async def run_checks(request: Request) -> ReadinessReport:
        names = list(named_checks)
        results = await asyncio.gather(*(_run_check(name, named_checks[name], request, timeout_s) for name in names))
        by_name = dict(zip(names, results, strict=True))
        ok = all(result.status == "ok" for result in results)
        return ReadinessReport(status="ready" if ok else "not_ready", checks=by_name)

    async def shared_report(request: Request) -> ReadinessReport:
        run: asyncio.Task[ReadinessReport] | None = latest.get("run")
        if run is None or (run.done() and time.monotonic() - latest["at"] >= cache_s):
            run = asyncio.create_task(run_checks(request))
            latest["run"], latest["at"] = run, time.monotonic()
        return await asyncio.shield(run)

    @router.get("/health/live", response_model=Liveness, summary="Liveness: the process serves requests")
    async def live() -> Liveness:
        return Liveness()

    @router.get(
        "/health/ready",
        response_model=ReadinessReport,
        responses={503: {"model": ReadinessReport, "description": "At least one check failed"}},
        summary="Readiness: every dependency this instance needs is available",
    )
    async def ready(request: Request) -> JSONResponse:
        report = await shared_report(request)
        return JSONResponse(report.model_dump(), status_code=200 if report.status == "ready" else 503)

    @router.get(
        metrics_path,
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition"}},
        summary="Prometheus metrics",
    )
    async def metrics(request: Request) -> Response:
        registry_owner: Any = getattr(request.app.state, "metrics", None)
        if not isinstance(registry_owner, Metrics):
            return Response("metrics not initialised\n", status_code=503, media_type="text/plain")
        for hook in hooks:
            try:
                await asyncio.wait_for(hook(request), timeout=timeout_s)
            except Exception as exc:
                log.warning("metrics_scrape_hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc))
        body, content_type = registry_owner.render()
        return Response(body, media_type=content_type)

    return router
