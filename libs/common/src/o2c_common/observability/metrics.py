"""Prometheus metrics of one app, in their own registry (created in the lifespan, never at import).

The lifespan does ``app.state.metrics = Metrics(service=settings.service_name)``; the HTTP middleware
fills the ``http_*`` metrics, the outbox relay ``outbox_*`` and ``events_published_total``, consumers
``consumer_lag``, ``events_consumed_total`` and ``dead_letters_total``. ``/metrics`` (see
:mod:`o2c_common.observability.health`) renders the registry.

Names and labels::

    http_requests_total{method,route,status}          counter
    http_request_duration_seconds{method,route}       histogram
    outbox_backlog                                    gauge   rows not yet published (exact up to 10,000; above, the
                                                              id span from the oldest unpublished row to the newest)
    outbox_oldest_age_seconds                         gauge   age of the oldest unpublished row (0 if none)
    consumer_lag{topic,partition,group}               gauge   high watermark - committed offset
    dead_letters_total{group}                         counter messages sent to the dead-letter topic
    events_published_total{topic,type}                counter events the relay published (broker acked)
    events_consumed_total{topic,group}                counter events a consumer handled (incl. duplicates)
    events_skipped_total{group,type}                  counter events the group leaves unread: no handler, or history
    events_refused_total{group,reason}                counter events refused (e.g. forged_source) and dead-lettered
    o2c_service_info{service}                         gauge   always 1
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

HTTP_DURATION_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """All metrics of one app, registered in ``self.registry`` (a fresh registry unless one is given)."""

    def __init__(
        self,
        *,
        service: str = "o2c",
        registry: CollectorRegistry | None = None,
        include_process: bool = True,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        if include_process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        r = self.registry
        self.service_info = Gauge("o2c_service_info", "Service identity", ["service"], registry=r)
        self.service_info.labels(service=service).set(1)
        self.http_requests_total = Counter(
            "http_requests_total", "HTTP requests handled", ["method", "route", "status"], registry=r
        )
        self.http_request_duration_seconds = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration in seconds",
            ["method", "route"],
            buckets=HTTP_DURATION_BUCKETS,
            registry=r,
        )
        self.outbox_backlog = Gauge("outbox_backlog", "Outbox rows not yet published", registry=r)
        self.outbox_oldest_age_seconds = Gauge(
            "outbox_oldest_age_seconds", "Age in seconds of the oldest unpublished outbox row", registry=r
        )
        self.consumer_lag = Gauge(
            "consumer_lag",
            "Messages between the committed offset and the high watermark",
            ["topic", "partition", "group"],
            registry=r,
        )
        self.dead_letters_total = Counter(
            "dead_letters_total", "Messages sent to the dead-letter topic", ["group"], registry=r
        )
        self.events_published_total = Counter(
            "events_published_total", "Events published to the broker (acked)", ["topic", "type"], registry=r
        )
        self.events_consumed_total = Counter(
            "events_consumed_total", "Events handled by a consumer", ["topic", "group"], registry=r
        )
        self.events_skipped_total = Counter(
            "events_skipped_total", "Events the consumer group leaves unread: a type it has no handler for, or "
            "imported history (o2c_history) its handler of the type skips",
            ["group", "type"], registry=r,
        )
        self.events_refused_total = Counter(
            "events_refused_total", "Events refused by a consumer group and dead-lettered", ["group", "reason"],
            registry=r,
        )

    def observe_http(self, *, method: str, route: str, status: int, duration_s: float) -> None:
        self.http_requests_total.labels(method=method, route=route, status=str(status)).inc()
        self.http_request_duration_seconds.labels(method=method, route=route).observe(duration_s)

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of the registry and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
