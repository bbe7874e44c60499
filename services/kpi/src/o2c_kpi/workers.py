"""Background steps of the kpi service: the SLA timer sweeper (``o2c_kpi.sla``) and the daily report snapshot
(``o2c_kpi.reports``), each step in its own unit of work."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from o2c_common.periodic import PeriodicTasks
from o2c_common.tx import Transactions
from o2c_kpi.clock import clock_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.reports.snapshots import snapshot_steps
from o2c_kpi.sla.workers import sla_steps


def background_tasks(app: FastAPI) -> PeriodicTasks:
    """The clock is read on every step, so a test may move it while the service runs."""
    settings: KpiSettings = app.state.settings
    transactions: Transactions = app.state.transactions

    def clock() -> datetime:
        return clock_of(app)()

    return PeriodicTasks([*sla_steps(transactions=transactions, settings=settings, clock=clock),
                          *snapshot_steps(transactions=transactions, clock=clock,
                                          interval_s=settings.report_snapshot_interval_s)])
