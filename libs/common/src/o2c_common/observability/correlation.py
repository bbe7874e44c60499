"""The correlation id of the work in progress (an HTTP request, a consumed event), in a contextvar.

The HTTP middleware sets it from ``X-Correlation-ID`` (or a fresh uuid4); consumers set it from the
event they handle with :func:`correlation_scope`; the outbox writer reads :func:`get_correlation_id`
to carry it into the event headers; the logging setup adds it to every log line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

CORRELATION_ID_HEADER = "X-Correlation-ID"
# Accept what callers commonly send (uuids, trace ids, ULIDs…); anything else is replaced, so that a
# header can never inject text into logs or headers.
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_correlation_id: ContextVar[str | None] = ContextVar("o2c_correlation_id", default=None)


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def is_valid_correlation_id(value: str | None) -> bool:
    return bool(value) and _VALID.match(value or "") is not None


def get_correlation_id() -> str | None:
    """The current correlation id, or None outside a request / handled event."""
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> Token[str | None]:
    """Set the current correlation id; pass the returned token to :func:`reset_correlation_id`."""
    return _correlation_id.set(value)


def reset_correlation_id(token: Token[str | None]) -> None:
    _correlation_id.reset(token)


@contextmanager
def correlation_scope(value: str | None = None) -> Iterator[str]:
    """Bind ``value`` (or a new id when missing/invalid) for the duration of the block."""
    correlation_id = value if value is not None and is_valid_correlation_id(value) else new_correlation_id()
    token = _correlation_id.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _correlation_id.reset(token)
