"""structlog setup: one JSON object per line (or a readable console format), stdlib logs included.

Call :func:`configure_logging` once per process, at startup (``create_app`` or the lifespan, the CLI).
Every line carries ``timestamp`` (RFC 3339 UTC), ``level``, ``logger``, ``event``, the
``correlation_id`` of the work in progress when there is one, and anything bound with
``structlog.contextvars.bind_contextvars``. Logs from uvicorn, SQLAlchemy, aiokafka … go through the
same formatter.

Logs of the Kafka client are rate-limited (:class:`RateLimitFilter`): during a broker outage aiokafka logs every
failed connection attempt of every client, 50 to 110 lines/s per service; a message (same logger, same template) is
let through at most ``burst`` times per ``window_s`` and the next one that passes says how many were suppressed.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from o2c_common.observability.correlation import get_correlation_id

_HANDLER_NAME = "o2c-structlog"
# Loggers that install their own handlers; make them propagate to the root handler instead.
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "sqlalchemy", "alembic")
RATE_LIMITED_PREFIXES = ("aiokafka", "kafka")


class RateLimitFilter(logging.Filter):
    """At most ``burst`` records per (logger, message template) every ``window_s`` for the given logger prefixes."""

    def __init__(self, prefixes: tuple[str, ...] = RATE_LIMITED_PREFIXES, *, burst: int = 5, window_s: float = 60.0,
                 clock: Any = time.monotonic) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.burst = burst
        self.window_s = window_s
        self._clock = clock
        self._windows: dict[tuple[str, str], list[float]] = {}  # key -> [window start, passed, suppressed]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window[0] >= self.window_s:
                suppressed = int(window[2]) if window else 0
                self._windows[key] = [now, 1, 0]
                if len(self._windows) > 1000:  # bounded: drop the oldest windows
                    for old in sorted(self._windows, key=lambda k: self._windows[k][0])[:500]:
                        del self._windows[old]
                if suppressed:
                    record.msg = f"{record.msg} [{suppressed} similar lines suppressed in the last {self.window_s:g}s]"
                return True
            if window[1] < self.burst:
                window[1] += 1
                return True
            window[2] += 1
            return False


def add_correlation_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    correlation_id = get_correlation_id()
    if correlation_id is not None:
        event_dict.setdefault("correlation_id", correlation_id)
    return event_dict


def _static_fields(fields: dict[str, Any]) -> Processor:
    def add(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        for key, value in fields.items():
            event_dict.setdefault(key, value)
        return event_dict

    return add


def configure_logging(
    *, level: str | int = "INFO", json: bool = True, service: str | None = None, stream: Any = None
) -> None:
    """Configure structlog and the stdlib root logger. Safe to call again (replaces the handler)."""
    numeric_level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}")
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_correlation_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if service:
        shared.append(_static_fields({"service": service}))
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        final += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        # plain tracebacks: rich's would print local variables (secrets) into the log
        final.append(structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback))
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)

    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    handler.addFilter(RateLimitFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for name in _ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        if name == "uvicorn.access" and not routed.handlers and not routed.propagate:
            continue  # uvicorn --no-access-log: the service's own line (observability.middleware) is the access log
        routed.handlers.clear()
        routed.propagate = True


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (lazy: usable before :func:`configure_logging` has run)."""
    return structlog.get_logger(name)
