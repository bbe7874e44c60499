"""Correlation id middleware, JSON logging and HTTP metrics labelled by route template."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from o2c_common.errors import NotFound, install_problem_handlers
from o2c_common.observability import (
    Metrics,
    configure_logging,
    correlation_scope,
    get_correlation_id,
    install_observability,
)


def build_app(*, with_metrics: bool = True) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_observability(app)
    if with_metrics:
        app.state.metrics = Metrics(service="test", include_process=False)

    @app.get("/invoices/{invoice_id}")
    async def read(invoice_id: str) -> dict[str, str | None]:
        return {"invoice_id": invoice_id, "seen_correlation_id": get_correlation_id()}

    @app.get("/missing/{x}")
    async def missing(x: str) -> None:
        raise NotFound("nope")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app


async def request(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get(path, headers=headers or {})


def samples(metrics: Metrics, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = metrics.render()[0].decode()
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_incoming_correlation_id_is_used_and_echoed() -> None:
    response = await request(build_app(), "/invoices/1", {"X-Correlation-ID": "abc-123"})
    assert response.headers["x-correlation-id"] == "abc-123"
    assert response.json()["seen_correlation_id"] == "abc-123"


async def test_missing_or_unsafe_correlation_id_is_replaced_by_uuid4() -> None:
    app = build_app()
    generated = (await request(app, "/invoices/1")).headers["x-correlation-id"]
    assert len(generated) == 36 and generated.count("-") == 4
    unsafe = await request(app, "/invoices/1", {"X-Correlation-ID": "evil\tvalue {json}"})
    assert unsafe.headers["x-correlation-id"] != "evil\tvalue {json}"
    assert unsafe.json()["seen_correlation_id"] == unsafe.headers["x-correlation-id"]


async def test_correlation_id_does_not_leak_between_requests() -> None:
    app = build_app()
    await request(app, "/invoices/1", {"X-Correlation-ID": "first"})
    assert get_correlation_id() is None
    second = await request(app, "/invoices/1")
    assert second.json()["seen_correlation_id"] != "first"


async def test_error_responses_carry_the_same_correlation_id() -> None:
    response = await request(build_app(), "/boom", {"X-Correlation-ID": "err-1"})
    assert response.status_code == 500
    assert response.headers["x-correlation-id"] == "err-1"
    assert response.json()["correlation_id"] == "err-1"
    assert response.headers.get_list("x-correlation-id") == ["err-1"]


async def test_http_metrics_use_route_template_and_status() -> None:
    app = build_app()
    for invoice_id in ("1", "2", "3"):
        await request(app, f"/invoices/{invoice_id}")
    await request(app, "/missing/zzz")
    await request(app, "/boom")
    await request(app, "/no/such/route")
    metrics: Metrics = app.state.metrics
    counts = samples(metrics, "http_requests_total")
    assert counts[(("method", "GET"), ("route", "/invoices/{invoice_id}"), ("status", "200"))] == 3
    assert counts[(("method", "GET"), ("route", "/missing/{x}"), ("status", "404"))] == 1
    assert counts[(("method", "GET"), ("route", "/boom"), ("status", "500"))] == 1
    assert counts[(("method", "GET"), ("route", "<unmatched>"), ("status", "404"))] == 1
    assert not any("/invoices/1" in dict(labels)["route"] for labels in counts)
    durations = samples(metrics, "http_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/invoices/{invoice_id}"))] == 3


async def test_no_metrics_before_lifespan_is_harmless() -> None:
    response = await request(build_app(with_metrics=False), "/invoices/1")
    assert response.status_code == 200


def test_metrics_registries_are_per_app() -> None:
    first, second = Metrics(include_process=False), Metrics(include_process=False)
    first.dead_letters_total.labels(group="g").inc()
    assert samples(first, "dead_letters_total") == {(("group", "g"),): 1.0}
    assert samples(second, "dead_letters_total") == {}


def test_metrics_exposition_has_every_family() -> None:
    metrics = Metrics(service="invoicing")
    metrics.outbox_backlog.set(12)
    metrics.outbox_oldest_age_seconds.set(3.5)
    metrics.consumer_lag.labels(topic="o2c.invoice", partition="0", group="collections").set(7)
    metrics.events_published_total.labels(topic="o2c.invoice", type="o2c.invoice.issued.v1").inc(5)
    metrics.events_consumed_total.labels(topic="o2c.invoice", group="collections").inc()
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    text = body.decode()
    for name in (
        "http_requests_total",
        "http_request_duration_seconds",
        "dead_letters_total",
        "process_cpu_seconds_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text or f"# TYPE {name}" in text
    assert "outbox_backlog 12.0" in text
    assert "outbox_oldest_age_seconds 3.5" in text
    assert 'consumer_lag{group="collections",partition="0",topic="o2c.invoice"} 7.0' in text
    assert 'events_published_total{topic="o2c.invoice",type="o2c.invoice.issued.v1"} 5.0' in text
    assert 'o2c_service_info{service="invoicing"} 1.0' in text


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    yield stream
    for handler in list(root.handlers):
        if handler.get_name() == "o2c-structlog":
            root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def test_json_logs_carry_correlation_id(log_stream: io.StringIO) -> None:
    configure_logging(level="INFO", json=True, service="invoicing", stream=log_stream)
    with correlation_scope("corr-9"):
        structlog.get_logger("o2c.test").info("invoice_issued", invoice_id="inv-1")
        logging.getLogger("uvicorn.error").warning("stdlib %s", "line")
    structlog.get_logger("o2c.test").debug("filtered_out")
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert first["event"] == "invoice_issued"
    assert first["invoice_id"] == "inv-1"
    assert first["correlation_id"] == "corr-9"
    assert first["level"] == "info"
    assert first["service"] == "invoicing"
    assert first["timestamp"].endswith("Z")
    assert second["event"] == "stdlib line"
    assert second["correlation_id"] == "corr-9"
    assert second["logger"] == "uvicorn.error"


def test_json_logs_render_exceptions(log_stream: io.StringIO) -> None:
    configure_logging(level="DEBUG", json=True, stream=log_stream)
    try:
        raise ValueError("bad thing")
    except ValueError:
        structlog.get_logger("o2c.test").exception("failed")
    [line] = [json.loads(x) for x in log_stream.getvalue().splitlines()]
    assert line["level"] == "error"
    assert "ValueError: bad thing" in line["exception"]


def test_configure_logging_twice_keeps_one_handler(log_stream: io.StringIO) -> None:
    configure_logging(level="INFO", json=True, stream=log_stream)
    configure_logging(level="INFO", json=False, stream=log_stream)
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "o2c-structlog"]
    assert len(handlers) == 1
    structlog.get_logger("o2c.test").info("console_line", k=1)
    assert "console_line" in log_stream.getvalue()
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(level="LOUD", json=True, stream=log_stream)


def test_uvicorn_access_log_stays_off_when_uvicorn_turned_it_off(log_stream: io.StringIO) -> None:
    access = logging.getLogger("uvicorn.access")
    handlers, propagate, level, filters = list(access.handlers), access.propagate, access.level, list(access.filters)
    try:
        # An in-process uvicorn of an earlier test (log_level="warning") leaves its level and filters behind.
        access.setLevel(logging.INFO)
        access.filters = []
        access.handlers, access.propagate = [], False  # what uvicorn --no-access-log leaves
        configure_logging(level="INFO", json=True, stream=log_stream)
        assert not access.hasHandlers()  # uvicorn builds no access record at all (it asks hasHandlers)
        access.addHandler(logging.NullHandler())  # uvicorn's own handler: its access log is on
        configure_logging(level="INFO", json=True, stream=log_stream)
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/health", "1.1", 200)
        assert access.propagate and json.loads(log_stream.getvalue())["logger"] == "uvicorn.access"
    finally:
        access.handlers, access.propagate, access.filters = handlers, propagate, filters
        access.setLevel(level)
