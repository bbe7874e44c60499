"""Where the CPU went during a measurement: per process (from /proc, Linux only) and for the whole
machine, so that a result can say which component was busy and how much else was running."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on


def process_seconds(pid: int, *, children: bool = False) -> float:
    """CPU seconds used by ``pid`` (with ``children``: plus its reaped children's)."""
    f = _stat(pid)
    if f is None:
        return 0.0
    ticks = int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if children else 0)  # utime stime cutime cstime
    return ticks / TICK


def child_pids(parent: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            f = _stat(int(entry.name))
            if f is not None and int(f[1]) == parent:
                out.append(int(entry.name))
    return out


def machine_busy_seconds() -> float:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICK


@dataclass
class CpuSample:
    at: float
    per_process: dict[str, float]
    machine: float


class CpuMeter:
    """``start()`` then ``stop()``: CPU use (in % of one core) of named processes over that window.

    ``trees`` are parents whose children are summed in (PostgreSQL: postmaster and its backends)."""

    def __init__(self, pids: dict[str, int], trees: dict[str, int] | None = None) -> None:
        self.pids, self.trees = pids, trees or {}
        self._start: CpuSample | None = None
        self.window_s = 0.0  # the last stop()'s window

    def _sample(self) -> CpuSample:
        import time

        per = {name: process_seconds(pid) for name, pid in self.pids.items()}
        for name, root in self.trees.items():
            per[name] = process_seconds(root, children=True) + sum(process_seconds(p) for p in child_pids(root))
        per["bench (this process)"] = process_seconds(os.getpid())
        return CpuSample(time.monotonic(), per, machine_busy_seconds())

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> dict[str, float]:
        """% of one core per process, plus ``all others`` (busy time of the machine not ours) and
        ``machine`` (all cores together, 100% per core)."""
        assert self._start is not None
        end = self._sample()
        wall = self.window_s = max(end.at - self._start.at, 1e-9)
        out = {name: round(100 * (end.per_process[name] - self._start.per_process.get(name, 0.0)) / wall, 1)
               for name in end.per_process}
        machine = 100 * (end.machine - self._start.machine) / wall
        out["all others on the machine"] = round(max(0.0, machine - sum(out.values())), 1)
        out["machine (100% = one core)"] = round(machine, 1)
        return out


NOT_PROCESSES = ("all others on the machine", "machine (100% = one core)")


def ms_per_unit(percent: dict[str, float], window_s: float, units: int) -> dict[str, float]:
    """CPU milliseconds per unit of work (a write) of each process, from :meth:`CpuMeter.stop`'s percentages over
    ``window_s``, plus ``all processes`` (ours, without the machine's other work)."""
    if units <= 0:
        return {}
    per = {name: round(pct / 100 * window_s * 1000 / units, 2) for name, pct in percent.items()
           if name not in NOT_PROCESSES}
    per["all processes"] = round(sum(per.values()), 2)
    return per
