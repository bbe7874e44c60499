"""Periodic background steps of a service (timer sweeps, polls, daily runs) as one BackgroundWorker.

A step is an async callable returning how much it did. Its state lives in the database and it claims rows
with ``FOR UPDATE SKIP LOCKED``, so any number of replicas may run it and a restart loses nothing; a failing
step is logged and retried after its interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicStep:
    name: str
    interval_s: float
    run: Callable[[], Awaitable[int]]
    drain: bool = True
    """Run again at once after a step that did something (a full batch means more may be due)."""


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], *, grace_s: float = 15) -> None:
    """Wait for ``tasks`` to end (they were told to stop), cancelling those still running after ``grace_s``."""
    pending_tasks = list(tasks)
    if not pending_tasks:
        return
    _, pending = await asyncio.wait(pending_tasks, timeout=grace_s)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class PeriodicTasks:
    """Runs each step in its own task until stopped; ``on_stop`` closes what the steps share (a client)."""

    def __init__(self, steps: list[PeriodicStep], *, on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        self.steps = steps
        self._on_stop = on_stop
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(step), name=step.name) for step in self.steps]

    def running(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    async def _loop(self, step: PeriodicStep) -> None:
        while not self._stopping.is_set():
            try:
                done = await step.run()
            except Exception:  # the database or a remote party may be down: log, wait, try again
                log.exception("%s step failed", step.name)
                done = 0
            if not (step.drain and done):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), step.interval_s)

    async def stop(self) -> None:
        self._stopping.set()
        await stop_tasks(self._tasks)
        if self._on_stop is not None:
            await self._on_stop()
