"""Background steps of the kpi service: the SLA timer sweeper (``o2c_kpi.sla``), the daily report snapshot
(``o2c_kpi.reports``) and the cross-service reconciliation (``o2c_kpi.reconciliation``), each step in its own unit
of work."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

import httpx
from fastapi import FastAPI

from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_common.tx import Transactions
from o2c_kpi.clock import Clock, clock_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.digests.workers import digest_steps
from o2c_kpi.reconciliation import service as reconciliation
from o2c_kpi.reconciliation.client import RemoteSources
from o2c_kpi.reconciliation.metrics import gauges_of
from o2c_kpi.reports.snapshots import snapshot_steps
from o2c_kpi.sla.workers import sla_steps

log = logging.getLogger(__name__)


def background_tasks(app: FastAPI) -> PeriodicTasks:
    """The clock is read on every step, so a test may move it while the service runs."""
    settings: KpiSettings = app.state.settings
    transactions: Transactions = app.state.transactions

    def clock() -> datetime:
        return clock_of(app)()

    return PeriodicTasks([*sla_steps(transactions=transactions, settings=settings, clock=clock),
                          *snapshot_steps(transactions=transactions, clock=clock,
                                          interval_s=settings.report_snapshot_interval_s),
                          *reconciliation_steps(app, transactions=transactions, settings=settings, clock=clock),
                          *digest_steps(transactions=transactions, settings=settings, clock=clock)])


def reconciliation_steps(app: FastAPI, *, transactions: Transactions, settings: KpiSettings,
                         clock: Clock) -> list[PeriodicStep]:
    """Every ``recon_interval_s``: compare every invoice across the services and publish the gauges."""
    if not settings.recon_enabled:
        return []

    async def reconcile() -> int:
        transport: httpx.AsyncBaseTransport | None = getattr(app.state, "recon_transport", None)
        remote = RemoteSources(settings=settings, transport=transport)
        try:
            async with dataclasses.replace(transactions, clock=clock).begin("system:reconciliation") as tx:
                run = await reconciliation.run(tx, remote=remote, settings=settings)
        except reconciliation.SourceUnavailable as exc:  # a service is starting or down: the next run retries
            log.warning("reconciliation skipped: %s", exc.detail)
            return 0
        gauges_of(app).publish(run)
        return 0  # one run per interval, never drained

    return [PeriodicStep("reconciliation", settings.recon_interval_s, reconcile, drain=False)]
