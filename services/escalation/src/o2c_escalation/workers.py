"""Background tasks of this service beside the relay and consumers: the SLA timer sweeper and the webhook
sender. Both keep their state in the database (due timers, pending deliveries) and claim rows with
``FOR UPDATE SKIP LOCKED``, so any number of replicas may run them and a restart loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

from o2c_common.db import Database
from o2c_common.outbox import Outbox
from o2c_escalation.config import EscalationSettings
from o2c_escalation.lifecycle.service import fire_due_timers
from o2c_escalation.webhooks.service import deliver_due

log = logging.getLogger(__name__)


async def sweep_timers_once(db: Database, *, outbox: Outbox, settings: EscalationSettings) -> int:
    """One sweep in one transaction: fires up to ``sweep_batch_size`` due timers."""
    async with db.unit_of_work() as session:
        return await fire_due_timers(session, outbox=outbox, settings=settings)


class BackgroundTasks:
    def __init__(self, *, db: Database, outbox: Outbox, settings: EscalationSettings) -> None:
        self.db, self.outbox, self.settings = db, outbox, settings
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False)
        client = self._client
        self._tasks = [
            asyncio.create_task(self._loop("sla-sweeper", self.settings.sweep_interval_s,
                                           lambda: sweep_timers_once(self.db, outbox=self.outbox,
                                                                     settings=self.settings)), name="sla-sweeper"),
            asyncio.create_task(self._loop("webhook-sender", self.settings.webhook_interval_s,
                                           lambda: deliver_due(self.db, settings=self.settings, client=client)),
                                name="webhook-sender"),
        ]

    def running(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    async def _loop(self, name: str, interval: float, step: Callable[[], Awaitable[int]]) -> None:
        while not self._stopping.is_set():
            try:
                done = await step()
            except Exception:  # the database or a receiver may be down: log, wait, try again
                log.exception("%s step failed", name)
                done = 0
            if done == 0:  # a full batch means more may be due: go on at once
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
        if self._client is not None:
            await self._client.aclose()
