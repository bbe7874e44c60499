"""(b) Outbox relay publish rate: pre-fill a fresh database's outbox, run ``OutboxRelay`` (one, then
two at once) until every row is published, and time it.

Each relay runs in its own process (as replicas would), configured as the services configure it
(``ServiceSettings`` defaults: 16 slots, batches of 1000, the services' producer). The clock starts
when the relays are told to go (processes already up, modules imported) and stops at the last
acknowledged-and-marked batch. Rows go to the topic ``bench.relay`` so that the services started in
(c) do not consume them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.kafka_raw import PARTITIONS, bench_event, producer
from o2c_common.kafka import ensure_topics
from o2c_common.outbox import OutboxRelay, slot_for
from o2c_common.settings import ServiceSettings

RELAY_TOPIC = "bench.relay"
COLUMNS = ("event_id", "topic", "key", "slot", "event_type", "headers", "payload")


@dataclass
class RelayRun:
    relays: int
    rows: int
    seconds: float
    first_publish_s: float
    per_relay: list[int]
    unpublished_after: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {"relays": self.relays, "rows": self.rows, "seconds": round(self.seconds, 3),
                "rate": round(self.rate), "first_publish_s": round(self.first_publish_s, 3),
                "per_relay_published": self.per_relay, "unpublished_after": self.unpublished_after}


async def prefill(dsn: str, rows: int, *, keys: int, progress: Callable[[int], None] | None = None) -> None:
    """Write ``rows`` outbox rows (real invoice.issued events over ``keys`` aggregates, keys interleaved)
    exactly as ``add_to_outbox`` writes them, with COPY so that filling takes seconds."""
    slots = ServiceSettings().outbox_slots
    conn = await asyncpg.connect(dsn)
    try:
        chunk: list[tuple[Any, ...]] = []
        for i in range(rows):
            e = bench_event(i, keys=keys)
            headers = json.dumps([[k, v.decode()] for k, v in e.headers()])
            chunk.append((e.id, RELAY_TOPIC, e.key, slot_for(e.key, slots), e.type, headers, e.value()))
            if len(chunk) == 5000 or i == rows - 1:
                await conn.copy_records_to_table("outbox", records=chunk, columns=COLUMNS)
                if progress is not None:
                    progress(len(chunk))
                chunk = []
        await conn.execute("VACUUM ANALYZE outbox")
    finally:
        await conn.close()


async def unpublished(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await conn.close()


COUNT, FIRST, LAST, READY = range(4)  # a relay process's shared state (RawArray of doubles)
GO, STOP = range(2)  # shared flags. Plain shared memory, no locks or multiprocessing.Event: a process killed
# while waiting on an Event would leave the parent's set() blocked for ever.


def _worker(dsn: str, bootstrap: str, name: str, state: Any, flags: Any, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops its relays
    asyncio.run(_work(dsn, bootstrap, name, state, flags, parent))


async def _work(dsn: str, bootstrap: str, name: str, state: Any, flags: Any, parent: int) -> None:
    s = ServiceSettings()

    def on_published(_topic: str, _type: str, n: int) -> None:
        now = time.time()
        state[COUNT] += n
        state[FIRST] = state[FIRST] or now
        state[LAST] = now

    async def until(flag: int, every: float) -> None:
        while not flags[flag]:
            if os.getppid() != parent:  # the bench died: do not linger
                raise SystemExit(1)
            await asyncio.sleep(every)

    relay = OutboxRelay(dsn=dsn, producer_factory=lambda: producer(bootstrap, name), slots=s.outbox_slots,
                        batch_size=s.outbox_batch_size, poll_interval=s.outbox_poll_interval_s,
                        on_published=on_published, name=name)
    state[READY] = 1
    await until(GO, 0.001)
    task = asyncio.create_task(relay.run())
    try:
        await until(STOP, 0.05)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)


async def run_relays(dsn: str, bootstrap: str, *, rows: int, relays: int,
                     progress: Callable[[int], None] | None = None, within: float | None = None) -> RelayRun:
    """Run ``relays`` relay processes on the outbox of ``dsn`` until ``rows`` rows were published."""
    ctx = mp.get_context("spawn")
    states = [ctx.RawArray("d", 4) for _ in range(relays)]
    flags = ctx.RawArray("b", 2)
    procs = [ctx.Process(target=_worker, name=f"bench-relay-{i}", daemon=True,
                         args=(dsn, bootstrap, f"bench-relay-{i}", states[i], flags, os.getpid()))
             for i in range(relays)]
    timeout = within or max(60.0, rows / 200)

    def check_alive() -> None:
        if any(not p.is_alive() for p in procs):
            raise RuntimeError("a relay process died")

    try:
        for p in procs:
            p.start()
        deadline = time.time() + 60
        while not all(st[READY] for st in states):
            check_alive()
            if time.time() > deadline:
                raise TimeoutError("relay processes did not start")
            await asyncio.sleep(0.01)
        started = time.time()
        flags[GO] = 1
        done = 0
        while done < rows:
            check_alive()
            if time.time() - started > timeout:
                raise TimeoutError(f"published {done} of {rows} rows in {timeout:.0f}s")
            await asyncio.sleep(0.02)
            now_done = int(sum(st[COUNT] for st in states))
            if progress is not None and now_done > done:
                progress(now_done - done)
            done = now_done
        finished = max(st[LAST] for st in states)
        first = min(st[FIRST] for st in states if st[FIRST]) - started
    finally:
        flags[STOP] = 1
        for p in procs:
            await asyncio.to_thread(p.join, 30)
            if p.is_alive():
                p.terminate()
                p.join(5)
    return RelayRun(relays, rows, finished - started, first, [int(st[COUNT]) for st in states], await unpublished(dsn))


async def relay_phase(infra: Any, *, rows: int, keys: int, relay_counts: tuple[int, ...] = (1, 2),
                      progress: Callable[[str, int], Callable[[int], None]] | None = None,
                      keep_databases: bool = False) -> list[RelayRun]:
    """The whole of (b): for each relay count, a fresh database, ``rows`` pre-filled rows, one timed run.
    ``infra`` is an ``o2c_cli.testing.Infra`` (the bench's own, or the test session's)."""
    await ensure_topics(infra.kafka_bootstrap, [RELAY_TOPIC], partitions=PARTITIONS, replication_factor=1)
    runs = []
    for count in relay_counts:
        name, url = await infra.fresh_database("bench_relay")
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        try:
            await prefill(dsn, rows, keys=keys,
                          progress=progress(f"outbox pre-fill ({count} relay run)", rows) if progress else None)
            runs.append(await run_relays(dsn, infra.kafka_bootstrap, rows=rows, relays=count,
                                         progress=progress(f"{count} relay(s) publishing", rows) if progress else None))
        finally:
            if not keep_databases:
                with contextlib.suppress(Exception):
                    await infra.drop_database(name)
    return runs
