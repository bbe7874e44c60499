"""Background tasks of this service beside the relay and consumers: the portal poller (portals that do not
call back). State lives in the database (``last_polled_at``) and rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so any number of replicas may run it."""

from __future__ import annotations

import httpx

from o2c_common.db import Database
from o2c_common.outbox import Outbox
from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.portal.service import poll_once


def background_tasks(*, db: Database, outbox: Outbox, settings: InvoicingSettings) -> PeriodicTasks:
    client = httpx.AsyncClient(follow_redirects=False)
    return PeriodicTasks([PeriodicStep(
        "portal-poller", settings.portal_poll_interval_s,
        lambda: poll_once(db, outbox=outbox, settings=settings, client=client),
    )], on_stop=client.aclose)
