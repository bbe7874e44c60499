"""Background steps of the workforce service: the daily capacity outlook (``o2c_workforce.capacity``), in its own
unit of work. It runs when the service starts and then every ``WORKFORCE_CAPACITY_OUTLOOK_INTERVAL_S`` (a day):
a restart or a second replica publishes again, which changes nothing downstream (kpi keeps the latest outlook of
each queue)."""

from __future__ import annotations

from fastapi import FastAPI

from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_common.tx import Transactions
from o2c_workforce.capacity import service as capacity
from o2c_workforce.capacity.schemas import OutlookRequest
from o2c_workforce.config import WorkforceSettings


def capacity_outlook_step(transactions: Transactions, settings: WorkforceSettings) -> PeriodicStep:
    async def publish() -> int:
        async with transactions.begin("system:capacity-outlook") as tx:
            return len((await capacity.publish_outlook(tx, OutlookRequest())).published)

    return PeriodicStep("capacity-outlook", settings.capacity_outlook_interval_s, publish, drain=False)


def background_tasks(app: FastAPI) -> PeriodicTasks:
    return PeriodicTasks([capacity_outlook_step(app.state.transactions, app.state.settings)])
