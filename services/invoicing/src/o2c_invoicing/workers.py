"""Background tasks of this service beside the relay and consumers: the portal poller (portals that do not
call back). State lives in the database (``last_polled_at``) and rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so any number of replicas may run it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

from o2c_common.db import Database
from o2c_common.outbox import Outbox
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.portal.service import poll_once

log = logging.getLogger(__name__)


class BackgroundTasks:
    def __init__(self, *, db: Database, outbox: Outbox, settings: InvoicingSettings) -> None:
        self.db, self.outbox, self.settings = db, outbox, settings
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False)
        client = self._client
        self._tasks = [
            asyncio.create_task(self._loop("portal-poller", self.settings.portal_poll_interval_s,
                                           lambda: poll_once(self.db, outbox=self.outbox, settings=self.settings,
                                                             client=client)), name="portal-poller"),
        ]

    def running(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    async def _loop(self, name: str, interval: float, step: Callable[[], Awaitable[int]]) -> None:
        while not self._stopping.is_set():
            try:
                done = await step()
            except Exception:  # the database or a portal may be down: log, wait, try again
                log.exception("%s step failed", name)
                done = 0
            if done == 0:
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
