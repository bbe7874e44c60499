"""Sub-commands imported only when they run, so that ``o2c token`` and ``o2c --help`` answer at once.

Each sub-command module pulls in what it needs (httpx, SQLAlchemy, aiokafka, a service's package); importing
them all up front made every ``o2c`` command take 10 to 13 s on a loaded machine. :class:`LazyGroup` lists the
lazy commands with a help line kept here and imports a module only when its command is invoked (or its own
``--help`` is asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """``module:attr`` is a Typer app (a group of commands) or a plain function (one command)."""

    module: str
    attr: str
    help: str


class LazyGroup(TyperGroup):
    lazy: ClassVar[dict[str, Lazy]] = {}
    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy if name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        spec = self.lazy.get(cmd_name)
        if command is not None or spec is None:
            return command
        if self._listing:  # the group's help: a line of text, no import
            return TyperCommand(name=cmd_name, help=spec.help, short_help=spec.help)
        command = load(cmd_name, spec)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load(name: str, spec: Lazy) -> Any:
    target = getattr(import_module(spec.module), spec.attr)
    command: Any
    if isinstance(target, typer.Typer):  # a group even with one command, as add_typer makes it
        command = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command
