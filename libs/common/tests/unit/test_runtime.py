"""settle_heap: start-up's objects leave the collector's generations, the young one is collected less often; once
per process. collection_paused: no collection while a block runs, resumed when the last of nested or interleaved
blocks ends, and never switched on where it was off."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys

import pytest

from o2c_common.runtime import YOUNG_GENERATION_THRESHOLD, collection_paused

SCRIPT = """
import gc
from o2c_common.runtime import settle_heap
start_up = [[i] for i in range(5000)]
settle_heap()
frozen = gc.get_freeze_count()
work = [[i] for i in range(5000)]
settle_heap()
print(frozen, gc.get_freeze_count(), sum(1 for o in gc.get_objects() if o is work), gc.get_threshold()[0])
"""


def test_settle_heap_freezes_what_start_up_built_and_only_once() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], check=True, capture_output=True, text=True).stdout.split()
    frozen, frozen_after_second_call, work_tracked, young_threshold = map(int, out)
    assert frozen >= 5000  # start-up's lists are in the permanent generation
    assert frozen_after_second_call == frozen  # the second call froze nothing more
    assert work_tracked == 1  # what the work allocates stays collectable
    assert young_threshold == YOUNG_GENERATION_THRESHOLD


def test_collection_resumes_when_the_last_interleaved_pause_ends() -> None:
    async def chunk(started: asyncio.Event, release: asyncio.Event) -> None:
        with collection_paused():
            started.set()
            await release.wait()

    async def main() -> list[bool]:
        seen = []
        a_started, a_release, b_started, b_release = (asyncio.Event() for _ in range(4))
        a = asyncio.create_task(chunk(a_started, a_release))
        await a_started.wait()
        b = asyncio.create_task(chunk(b_started, b_release))
        await b_started.wait()
        seen.append(gc.isenabled())
        a_release.set()  # the first to start ends first: the second still runs
        await a
        seen.append(gc.isenabled())
        b_release.set()
        await b
        seen.append(gc.isenabled())
        return seen

    assert gc.isenabled()
    assert asyncio.run(main()) == [False, False, True]


def test_a_failing_block_resumes_collection_and_a_pause_never_switches_it_on() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("chunk failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
