"""Consoles made when they print, so a table is as wide as the terminal is then (``COLUMNS`` included).

A ``Console()`` made at import keeps the width it saw first: under pytest-xdist a command module imported by
one test printed every later table cut to 80 columns, whatever the next test's runner set.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console


class LateConsole:
    """Stands for a :class:`rich.console.Console`; each attribute is read from one made at that moment."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr

    def __getattr__(self, name: str) -> Any:
        return getattr(Console(stderr=self._stderr), name)


out = LateConsole()
err = LateConsole(stderr=True)
