"""The service's injectable clock: SLA timers, definitions' timestamps, report periods and snapshots read the time
through it, so tests put a clock they move by hand on ``app.state`` (``CLOCK_STATE_ATTR``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request

Clock = Callable[[], datetime]
"""Returns the current instant (timezone-aware)."""
CLOCK_STATE_ATTR = "sla_clock"


def utc_now() -> datetime:
    return datetime.now(UTC)


def clock_of(app: FastAPI) -> Clock:
    clock: Clock = getattr(app.state, CLOCK_STATE_ATTR, None) or utc_now
    return clock


async def request_clock(request: Request) -> Clock:
    return clock_of(request.app)


ClockDep = Annotated[Clock, Depends(request_clock)]
