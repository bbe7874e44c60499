"""Process-level settings of a long-running service process."""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 10_000
"""Container allocations (net) between two young-generation collections; CPython's default is 700. A consumer keeps
a batch of 500 events (~9 containers each) alive until it commits: with 700, every batch was collected several
times and survived into the older generations, which were then walked again and again."""

_settled = False


def settle_heap() -> None:
    """Call once start-up is done (the service lifespan does): collect once, move every object start-up built
    (modules, models, mappers, compiled statements) to the collector's permanent generation (``gc.freeze``), and
    collect the young generation every :data:`YOUNG_GENERATION_THRESHOLD` allocations. Without this, collections cost
    a consumer 22-38 µs of every event it decoded, 0.1 µs with it (docs/performance.md, "Garbage collection in the
    consumers"). Once per process: a process that starts several apps (the tests) pays the collection once."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
