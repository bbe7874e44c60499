"""httpx's transport (httpcore) asks which async library runs it several times a request, importing ``sniffio`` each
time. With ``sniffio`` absent the import fails and Python searches the whole path again on every call (about 300 µs
of CPU a request here; encode/httpcore#1103), so ``o2c-common`` depends on it. Every outbound call pays this: the
portal submissions, webhooks, the CLI's importers."""

from __future__ import annotations

import asyncio
import sys
from importlib.machinery import ModuleSpec

from httpcore._synchronization import current_async_library


class _Lookups:
    """A finder that records the modules the import system had to look for, and finds none."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        self.names.append(name)
        return None


def test_the_backend_is_named_without_searching_for_a_module() -> None:
    async def backend() -> str:
        return current_async_library()

    asyncio.run(backend())  # the first call may import what is installed
    lookups = _Lookups()
    sys.meta_path.insert(0, lookups)
    try:
        assert asyncio.run(backend()) == "asyncio"
    finally:
        sys.meta_path.remove(lookups)
    assert lookups.names == [], f"each request would search the path for {lookups.names}"
