"""The digests' periodic step: every ``digest_interval_s``, the due digests sent once each."""

from __future__ import annotations

import dataclasses

from o2c_common.periodic import PeriodicStep
from o2c_common.tx import Transactions
from o2c_kpi.clock import Clock
from o2c_kpi.config import KpiSettings
from o2c_kpi.digests.service import STEP, send_due


def digest_steps(*, transactions: Transactions, settings: KpiSettings, clock: Clock) -> list[PeriodicStep]:
    timed = dataclasses.replace(transactions, clock=clock)

    async def step() -> int:
        return await send_due(timed, settings=settings, clock=clock)

    return [PeriodicStep(STEP, settings.digest_interval_s, step, drain=False)]
