"""Background work of this service beside the relay and consumers: the daily promise check, the dunning run
and the overdue escalation rules. State lives in the database and rows are claimed with
``FOR UPDATE SKIP LOCKED``, so any number of replicas may run it and a restart loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from o2c_collections.config import CollectionsSettings
from o2c_collections.dunning.service import run as run_dunning
from o2c_collections.escalations.service import run as run_escalation_rules
from o2c_collections.promises.service import decide_due
from o2c_common.db import Database
from o2c_common.outbox import Outbox
from o2c_common.periodic import PeriodicStep, PeriodicTasks


async def check_promises_once(db: Database, *, outbox: Outbox) -> int:
    async with db.unit_of_work() as session:
        result = await decide_due(session, as_of=datetime.now(UTC).date(), outbox=outbox)
    return result.kept + result.broken


async def run_dunning_once(db: Database, *, outbox: Outbox, settings: CollectionsSettings) -> int:
    async with db.unit_of_work() as session:
        result = await run_dunning(session, as_of=datetime.now(UTC).date(), outbox=outbox, settings=settings)
    return result.sent


async def run_escalation_once(db: Database, *, outbox: Outbox) -> int:
    async with db.unit_of_work() as session:
        result = await run_escalation_rules(session, as_of=datetime.now(UTC).date(), outbox=outbox)
    return result.escalated


def background_tasks(*, db: Database, outbox: Outbox, settings: CollectionsSettings) -> PeriodicTasks:
    """Daily runs: once a run is done it waits for its interval (a run covers everything due)."""
    return PeriodicTasks([
        PeriodicStep("promise-check", settings.promise_check_interval_s,
                     lambda: check_promises_once(db, outbox=outbox), drain=False),
        PeriodicStep("dunning-run", settings.dunning_interval_s,
                     lambda: run_dunning_once(db, outbox=outbox, settings=settings), drain=False),
        PeriodicStep("escalation-run", settings.escalation_interval_s,
                     lambda: run_escalation_once(db, outbox=outbox), drain=False),
    ])
