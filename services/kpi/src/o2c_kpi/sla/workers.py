"""The SLA timer sweeper: a periodic step firing due timers with the injected clock."""

from __future__ import annotations

from o2c_common.periodic import PeriodicStep
from o2c_common.tx import Transactions
from o2c_kpi.clock import Clock
from o2c_kpi.config import KpiSettings
from o2c_kpi.sla import timers

SWEEPER = "sla-timer-sweeper"


async def sweep_timers_once(transactions: Transactions, *, settings: KpiSettings, clock: Clock) -> int:
    """One sweep in one transaction: fires up to ``sla_sweep_batch_size`` due timers."""
    async with transactions.begin(f"system:{SWEEPER}") as tx:
        return await timers.fire_due(tx, now=clock(), grace_s=settings.sla_timer_grace_s,
                                     limit=settings.sla_sweep_batch_size)


def sla_steps(*, transactions: Transactions, settings: KpiSettings, clock: Clock) -> list[PeriodicStep]:
    return [PeriodicStep(SWEEPER, settings.sla_sweep_interval_s,
                         lambda: sweep_timers_once(transactions, settings=settings, clock=clock))]
