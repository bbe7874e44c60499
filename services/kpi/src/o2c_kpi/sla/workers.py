"""Background steps of the kpi service: the SLA timer sweeper firing due timers with the injected clock."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from o2c_common.db import Database
from o2c_common.outbox import Outbox
from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_kpi.config import KpiSettings
from o2c_kpi.reports.snapshots import snapshot_steps
from o2c_kpi.sla import timers
from o2c_kpi.sla.calendar import Clock
from o2c_kpi.sla.deps import clock_of


async def sweep_timers_once(db: Database, *, outbox: Outbox, settings: KpiSettings, clock: Clock) -> int:
    """One sweep in one transaction: fires up to ``sla_sweep_batch_size`` due timers."""
    async with db.unit_of_work() as session:
        return await timers.fire_due(session, outbox=outbox, now=clock(), grace_s=settings.sla_timer_grace_s,
                                     limit=settings.sla_sweep_batch_size)


def sla_steps(*, db: Database, outbox: Outbox, settings: KpiSettings, clock: Clock) -> list[PeriodicStep]:
    return [PeriodicStep("sla-timer-sweeper", settings.sla_sweep_interval_s,
                         lambda: sweep_timers_once(db, outbox=outbox, settings=settings, clock=clock))]


def background_tasks(app: FastAPI) -> PeriodicTasks:
    """The kpi service's background work: the SLA timer sweeper (and the daily report snapshot). The clock is
    read on every step, so a test may move it while the service runs."""
    settings: KpiSettings = app.state.settings
    db: Database = app.state.db
    outbox: Outbox = app.state.outbox

    def clock() -> datetime:
        return clock_of(app)()

    return PeriodicTasks([*sla_steps(db=db, outbox=outbox, settings=settings, clock=clock),
                          *snapshot_steps(db=db, clock=clock, interval_s=settings.report_snapshot_interval_s)])
