"""Request dependencies of the SLA and report routes: the clock (tests put their own on ``app.state``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from o2c_kpi.sla.calendar import Clock, utc_now

CLOCK_STATE_ATTR = "sla_clock"


def clock_of(app: FastAPI) -> Clock:
    clock: Clock = getattr(app.state, CLOCK_STATE_ATTR, None) or utc_now
    return clock


def request_clock(request: Request) -> Clock:
    return clock_of(request.app)


ClockDep = Annotated[Clock, Depends(request_clock)]
