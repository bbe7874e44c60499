"""Process-level settings of a long-running service process."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

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


_pauses = 0
_resume = False  # whether collection was on when the first pause began


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs (nested and concurrent blocks alike: collection resumes
    when the last one ends). For a unit of work that keeps tens of thousands of objects alive until it writes them
    (a bank-file chunk): the young generation's collections walked them again and again, then the older ones. The
    block's own cyclic garbage waits for the next collection after it."""
    global _pauses, _resume
    if _pauses == 0:
        _resume = gc.isenabled()
        gc.disable()
    _pauses += 1
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0 and _resume:
            gc.enable()
