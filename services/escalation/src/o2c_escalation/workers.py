"""Background tasks of this service beside the relay and consumers: the SLA timer sweeper and the webhook
sender. Both keep their state in the database (due timers, pending deliveries) and claim rows with
``FOR UPDATE SKIP LOCKED``, so any number of replicas may run them and a restart loses nothing."""

from __future__ import annotations

import httpx

from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_common.tx import Transactions
from o2c_escalation.cases.lifecycle import SLA_TIMER, fire_due_timers
from o2c_escalation.config import EscalationSettings
from o2c_escalation.webhooks.sender import deliver_due


async def sweep_timers_once(transactions: Transactions, *, settings: EscalationSettings) -> int:
    """One sweep in one transaction: fires up to ``sweep_batch_size`` due timers."""
    async with transactions.begin(SLA_TIMER) as tx:
        return await fire_due_timers(tx, settings=settings)


def background_tasks(*, transactions: Transactions, settings: EscalationSettings) -> PeriodicTasks:
    # No proxy from the environment: the sender sends each request to the address it checked (webhooks.targets).
    client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
    return PeriodicTasks([
        PeriodicStep("sla-sweeper", settings.sweep_interval_s,
                     lambda: sweep_timers_once(transactions, settings=settings)),
        PeriodicStep("webhook-sender", settings.webhook_interval_s,
                     lambda: deliver_due(transactions, settings=settings, client=client)),
    ], on_stop=client.aclose)
