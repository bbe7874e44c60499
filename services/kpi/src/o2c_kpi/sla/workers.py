"""The SLA steps: the timer sweeper firing due timers, and the judge of KPI-level SLAs' closed windows
(``o2c_kpi.sla.levels``), each with the injected clock."""

from __future__ import annotations

from o2c_common.periodic import PeriodicStep
from o2c_common.tx import Transactions
from o2c_kpi.clock import Clock
from o2c_kpi.config import KpiSettings
from o2c_kpi.sla import levels, timers

SWEEPER = "sla-timer-sweeper"
LEVELS = "sla-level-checks"
LEVELS_INTERVAL_S = 60.0


async def sweep_timers_once(transactions: Transactions, *, settings: KpiSettings, clock: Clock) -> int:
    """One sweep in one transaction: fires up to ``sla_sweep_batch_size`` due timers."""
    async with transactions.begin(f"system:{SWEEPER}") as tx:
        return await timers.fire_due(tx, now=clock(), grace_s=settings.sla_timer_grace_s,
                                     limit=settings.sla_sweep_batch_size)


async def check_levels_once(transactions: Transactions, *, clock: Clock) -> int:
    """One pass in one transaction: the last closed window of every KPI-level SLA not judged yet (how many)."""
    async with transactions.begin(f"system:{LEVELS}") as tx:
        return (await levels.evaluate_closed_windows(tx, now=clock())).judged


def sla_steps(*, transactions: Transactions, settings: KpiSettings, clock: Clock) -> list[PeriodicStep]:
    return [PeriodicStep(SWEEPER, settings.sla_sweep_interval_s,
                         lambda: sweep_timers_once(transactions, settings=settings, clock=clock)),
            PeriodicStep(LEVELS, max(settings.sla_sweep_interval_s, LEVELS_INTERVAL_S),
                         lambda: check_levels_once(transactions, clock=clock))]
