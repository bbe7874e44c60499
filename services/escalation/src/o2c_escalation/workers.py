"""Background tasks of this service beside the relay and consumers: the SLA timer sweeper and the webhook
sender. Both keep their state in the database (due timers, pending deliveries) and claim rows with
``FOR UPDATE SKIP LOCKED``, so any number of replicas may run them and a restart loses nothing."""

from __future__ import annotations

import httpx

from o2c_common.db import Database
from o2c_common.outbox import Outbox
from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_escalation.config import EscalationSettings
from o2c_escalation.lifecycle.service import fire_due_timers
from o2c_escalation.webhooks.service import deliver_due


async def sweep_timers_once(db: Database, *, outbox: Outbox, settings: EscalationSettings) -> int:
    """One sweep in one transaction: fires up to ``sweep_batch_size`` due timers."""
    async with db.unit_of_work() as session:
        return await fire_due_timers(session, outbox=outbox, settings=settings)


def background_tasks(*, db: Database, outbox: Outbox, settings: EscalationSettings) -> PeriodicTasks:
    client = httpx.AsyncClient(follow_redirects=False)
    return PeriodicTasks([
        PeriodicStep("sla-sweeper", settings.sweep_interval_s,
                     lambda: sweep_timers_once(db, outbox=outbox, settings=settings)),
        PeriodicStep("webhook-sender", settings.webhook_interval_s,
                     lambda: deliver_due(db, settings=settings, client=client)),
    ], on_stop=client.aclose)
