"""Pure ASGI middlewares: correlation id and HTTP metrics / access log.

Wiring (the order matters: the middleware added last is the outermost)::

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)   # innermost: unexpected exceptions → 500 problem
    install_observability(app)      # metrics + access log, then correlation id outermost

so every response, 500s included, is counted, logged with its correlation id and carries the
``X-Correlation-ID`` header.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c_common.observability.correlation import (
    CORRELATION_ID_HEADER,
    is_valid_correlation_id,
    new_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)
from o2c_common.observability.metrics import Metrics

log = structlog.get_logger("o2c.http")

UNMATCHED_ROUTE = "<unmatched>"
_QUIET_PREFIXES = ("/health/", "/metrics")


class CorrelationIdMiddleware:
    """Reads ``X-Correlation-ID`` (or makes a uuid4), sets the contextvar, echoes it in the response.

    An incoming value that is not 1-128 characters of ``[A-Za-z0-9._:-]`` is replaced by a new id.
    """

    def __init__(self, app: ASGIApp, *, header_name: str = CORRELATION_ID_HEADER) -> None:
        self.app = app
        self.header_name = header_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(self.header_name)
        correlation_id = incoming if incoming and is_valid_correlation_id(incoming) else new_correlation_id()
        header_name = self.header_name

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if header_name not in headers:
                    headers.append(header_name, correlation_id)
            await send(message)

        token = set_correlation_id(correlation_id)
        try:
            await self.app(scope, receive, send_with_header)
        finally:
            reset_correlation_id(token)


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/invoices/{invoice_id}``), never the raw path."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else UNMATCHED_ROUTE


def _metrics_of(scope: Scope) -> Metrics | None:
    state: Any = scope.get("state")
    if isinstance(state, dict) and isinstance(state.get("metrics"), Metrics):
        return state["metrics"]
    app_state = getattr(scope.get("app"), "state", None)
    metrics = getattr(app_state, "metrics", None)
    return metrics if isinstance(metrics, Metrics) else None


class HttpMetricsMiddleware:
    """Counts and times requests by (method, route template, status) and writes one access log line.

    Metrics come from ``app.state.metrics`` (or a lifespan state ``metrics``) at request time; before
    the lifespan created them nothing is recorded.
    """

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = _metrics_of(scope)
        status = 500
        start = time.perf_counter()

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        finally:
            duration = time.perf_counter() - start
            method = str(scope.get("method", ""))
            route = route_template(scope)
            if metrics is None:
                metrics = _metrics_of(scope)
            if metrics is not None:
                metrics.observe_http(method=method, route=route, status=status, duration_s=duration)
            if self.access_log:
                path = str(scope.get("path", ""))
                emit = log.debug if path.startswith(_QUIET_PREFIXES) else log.info
                emit(
                    "http_request",
                    method=method,
                    route=route,
                    path=path,
                    status=status,
                    duration_ms=round(duration * 1000, 3),
                )


def install_observability(app: Any, *, access_log: bool = True) -> None:
    """Add the metrics/access-log middleware and, outside it, the correlation-id middleware."""
    app.add_middleware(HttpMetricsMiddleware, access_log=access_log)
    app.add_middleware(CorrelationIdMiddleware)
