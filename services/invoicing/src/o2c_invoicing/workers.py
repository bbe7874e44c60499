"""Background tasks of this service beside the relay and consumers: the portal poller (portals that do not
call back) and the stall sweep (invoices without a status change for N days). State lives in the database
(``last_polled_at``, ``stalled_notified_at``) and rows are claimed with ``FOR UPDATE SKIP LOCKED``, so any
number of replicas may run them."""

from __future__ import annotations

from o2c_common.egress import pinned_client
from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_common.tx import Transactions
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.portal.service import poll_once
from o2c_invoicing.workqueues.stalls import sweep_once


def background_tasks(*, transactions: Transactions, settings: InvoicingSettings) -> PeriodicTasks:
    client = pinned_client(settings.portal_policy())  # allow-listed portals, on the checked address
    return PeriodicTasks([
        PeriodicStep("portal-poller", settings.portal_poll_interval_s,
                     lambda: poll_once(transactions, settings=settings, client=client)),
        PeriodicStep("stall-sweep", settings.stall_sweep_interval_s,
                     lambda: sweep_once(transactions, settings=settings)),
    ], on_stop=client.aclose)
