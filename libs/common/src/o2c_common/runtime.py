"""Process-level settings of a long-running service process."""

from __future__ import annotations

import gc

_settled = False


def settle_heap() -> None:
    """Call once start-up is done (the service lifespan does): collect once, then move every object start-up built
    (modules, models, mappers, compiled statements) to the collector's permanent generation (``gc.freeze``). They live
    as long as the process; without this every full collection walks them again, which cost a consumer about 24 µs of
    every event it decoded (docs/performance.md, "Garbage collection in the consumers"). Once per process: a process
    that starts several apps (the tests) pays the collection once."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
