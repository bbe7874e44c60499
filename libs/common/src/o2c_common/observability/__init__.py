"""Logging, correlation id, Prometheus metrics, HTTP middlewares and the health/metrics router."""

from o2c_common.observability.correlation import (
    CORRELATION_ID_HEADER,
    correlation_scope,
    get_correlation_id,
    new_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)
from o2c_common.observability.health import (
    CheckResult,
    NotReady,
    ReadinessCheck,
    ReadinessReport,
    database_check,
    health_router,
)
from o2c_common.observability.logs import add_correlation_id, configure_logging, get_logger
from o2c_common.observability.metrics import Metrics
from o2c_common.observability.middleware import (
    CorrelationIdMiddleware,
    HttpMetricsMiddleware,
    install_observability,
    route_template,
)

__all__ = [
    "CORRELATION_ID_HEADER",
    "CheckResult",
    "CorrelationIdMiddleware",
    "HttpMetricsMiddleware",
    "Metrics",
    "NotReady",
    "ReadinessCheck",
    "ReadinessReport",
    "add_correlation_id",
    "configure_logging",
    "correlation_scope",
    "database_check",
    "get_correlation_id",
    "get_logger",
    "health_router",
    "install_observability",
    "new_correlation_id",
    "reset_correlation_id",
    "route_template",
    "set_correlation_id",
]
