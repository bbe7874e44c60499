"""Background work of this service beside the relay and consumers: the daily promise check, the dunning run
and the overdue escalation rules. State lives in the database and rows are claimed with
``FOR UPDATE SKIP LOCKED``, so any number of replicas may run it and a restart loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from o2c_collections.config import CollectionsSettings
from o2c_collections.dunning.service import run as run_dunning
from o2c_collections.escalations.service import run as run_escalation_rules
from o2c_collections.promises.service import decide_due
from o2c_common.db import Database
from o2c_common.outbox import Outbox

log = logging.getLogger(__name__)


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


class BackgroundTasks:
    def __init__(self, *, db: Database, outbox: Outbox, settings: CollectionsSettings) -> None:
        self.db, self.outbox, self.settings = db, outbox, settings
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def steps(self) -> list[tuple[str, float, Callable[[], Awaitable[int]]]]:
        return [("promise-check", self.settings.promise_check_interval_s,
                 lambda: check_promises_once(self.db, outbox=self.outbox)),
                ("dunning-run", self.settings.dunning_interval_s,
                 lambda: run_dunning_once(self.db, outbox=self.outbox, settings=self.settings)),
                ("escalation-run", self.settings.escalation_interval_s,
                 lambda: run_escalation_once(self.db, outbox=self.outbox))]

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(name, interval, step), name=name)
                       for name, interval, step in self.steps()]

    def running(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    async def _loop(self, name: str, interval: float, step: Callable[[], Awaitable[int]]) -> None:
        while not self._stopping.is_set():
            try:
                await step()
            except Exception:  # the database may be down: log, wait, try again
                log.exception("%s step failed", name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)

    async def stop(self) -> None:
        self._stopping.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=15)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
