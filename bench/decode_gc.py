"""``python -m bench.decode_gc``: what the garbage collector costs a consumer decoding events (not a test).

A process shaped like a service (the kpi app built, so its modules, models and mappers are on the heap) decodes
``--events`` kpi-bench events with ``Event.from_kafka`` in batches of 500, each batch kept until the next (as the
consumer keeps a partition batch). Run twice, in fresh processes: as is, and after ``settle_heap()`` (what the
service lifespan calls once start-up is done). Prints µs per event and the part spent in collections (gc.callbacks).
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import random
import subprocess
import sys
import time

from bench.infra import load_average, machine


def measure(events: int, settle: bool) -> dict[str, object]:
    import o2c_kpi.main
    from bench.kpi import make_events
    from o2c_common.events import Event
    from o2c_common.runtime import settle_heap

    o2c_kpi.main.create_app()
    records = [(key, value, headers) for _, key, value, headers in make_events(events, random.Random(8))]
    gc.collect()
    heap = len(gc.get_objects())
    if settle:
        settle_heap()
    spent = {"s": 0.0, "since": 0.0}
    runs: collections.Counter[int] = collections.Counter()

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            spent["since"] = time.perf_counter()
        else:
            spent["s"] += time.perf_counter() - spent["since"]
            runs[info["generation"]] += 1

    gc.callbacks.append(timed)
    started = time.perf_counter()
    for i in range(0, len(records), 500):
        batch = [Event.from_kafka(*r) for r in records[i : i + 500]]
    seconds = time.perf_counter() - started
    del batch
    return {"settled": settle, "heap_objects": heap, "us_per_event": seconds / events * 1e6,
            "gc_us_per_event": spent["s"] / events * 1e6, "collections": dict(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="pairs of runs, interleaved")
    parser.add_argument("--one", choices=("as-is", "settled"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.events, args.one == "settled")))
        return
    print(f"# decode and gc bench; {machine()}; load average {load_average(' / ')}")
    for _ in range(args.rounds):
        for mode in ("as-is", "settled"):
            out = subprocess.run([sys.executable, "-m", "bench.decode_gc", "--events", str(args.events), "--one", mode],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"{mode:8} heap {r['heap_objects']:,} objects: {r['us_per_event']:.1f} us per event decoded, "
                  f"of which collections {r['gc_us_per_event']:.1f} us ({r['collections']})")


if __name__ == "__main__":
    main()
