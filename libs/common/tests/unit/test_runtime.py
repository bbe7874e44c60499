"""settle_heap: start-up's objects leave the collector's generations, the young one is collected less often; once
per process."""

from __future__ import annotations

import subprocess
import sys

from o2c_common.runtime import YOUNG_GENERATION_THRESHOLD

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
