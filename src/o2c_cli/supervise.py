"""The local launcher's watch loop: a process of `o2c dev` that dies is restarted, the others keep running.

Each watched process has a restart action. A service, the mail server or the portal simulator that exits is
started again (at most ``max_restarts`` times in ``window_s``; after that the launcher says so and keeps the
rest running). The broker and PostgreSQL are watched too: a dead broker is started again and its topics
created (it keeps data in memory: events acknowledged but not yet consumed are gone, so the launcher tells the
operator to run ``o2c outbox republish``); a dead PostgreSQL is started again on its data directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from subprocess import Popen
from typing import Any, Protocol


class Printer(Protocol):
    def print(self, *objects: Any) -> None: ...


@dataclass
class Watched:
    name: str
    process: Callable[[], Popen[bytes] | None]
    restart: Callable[[], None]
    advice: str = ""
    restarts: list[float] = field(default_factory=list)
    given_up: bool = False


@dataclass
class Supervisor:
    watched: list[Watched]
    console: Printer
    max_restarts: int = 5
    window_s: float = 300.0
    clock: Callable[[], float] = time.monotonic

    def check(self) -> list[str]:
        """One look at every process; restarts the dead ones. Returns the names restarted."""
        restarted = []
        for item in self.watched:
            proc = item.process()
            if item.given_up or proc is None or proc.poll() is None:
                continue
            now = self.clock()
            item.restarts = [t for t in item.restarts if now - t < self.window_s]
            if len(item.restarts) >= self.max_restarts:
                item.given_up = True
                self.console.print(f"[red]{item.name} exited with code {proc.returncode} again: not restarting it "
                                   f"after {self.max_restarts} restarts in {self.window_s:g}s; the others keep "
                                   "running (Ctrl-C stops everything)")
                continue
            self.console.print(f"[yellow]{item.name} exited with code {proc.returncode}; restarting it{item.advice}")
            item.restarts.append(now)
            try:
                item.restart()
            except Exception as exc:  # reported; tried again on the next look
                self.console.print(f"[red]{item.name} did not restart: {type(exc).__name__}: {exc}")
                continue
            restarted.append(item.name)
        return restarted


def stack_supervisor(stack: Any, console: Printer) -> Supervisor:
    """Every process of a started :class:`o2c_cli.stack.Stack`."""
    from o2c_cli.services import SERVICES

    watched: list[Watched] = []
    if stack.pg is not None:
        watched.append(Watched("PostgreSQL", lambda: stack.pg.process, stack.pg.start))
    if stack.broker is not None:
        def restart_broker() -> None:
            stack.broker.start()
            stack.create_topics()

        watched.append(Watched("broker", lambda: stack.broker.process, restart_broker,
                               advice=" (it kept events in memory: after the restart run `o2c outbox republish "
                                      "--service all --since <when it died>` to send them again)"))
    for name, service in SERVICES.items():
        if name in stack.processes:
            watched.append(Watched(name, partial(stack.processes.get, name), partial(stack.start_service, service),
                                   advice=f"; see {stack.config.data_dir / 'logs' / (name + '.log')}"))
    if "mail" in stack.processes:
        watched.append(Watched("mail", lambda: stack.processes.get("mail"), stack.start_mail))
    if "portal-simulator" in stack.processes:
        watched.append(Watched("portal-simulator", lambda: stack.processes.get("portal-simulator"),
                               stack.start_simulator))
    return Supervisor(watched, console)


def settings_problems(stack: Any) -> list[str]:
    """Each service's settings built from the environment it will run with: a bad value (a zero interval, an
    unknown option) is refused here, in words, before anything starts, instead of in a background job later."""
    import importlib
    import os
    from unittest import mock

    from pydantic import ValidationError

    from o2c_cli.services import SERVICES

    problems: list[str] = []
    for name, service in SERVICES.items():
        settings_cls = getattr(importlib.import_module(f"{service.package}.config"), f"{name.capitalize()}Settings")
        with mock.patch.dict(os.environ, stack.service_env(service), clear=True):
            try:
                settings_cls()
            except ValidationError as exc:
                problems.extend(f"{name}: {line}" for line in readable(exc, service.env_prefix))
    return problems


def readable(exc: Any, prefix: str) -> list[str]:
    """One sentence per error of a settings ValidationError, naming the environment variable."""
    lines = []
    for error in exc.errors():
        field_name = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        if field_name:
            lines.append(f"{prefix}{field_name.upper()}={error.get('input')!r} is refused: {message}")
        else:
            lines.append(message)
    return lines
