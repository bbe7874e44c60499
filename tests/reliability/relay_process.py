"""Runs one outbox relay in its own process, so a test can kill it with SIGKILL mid-batch.

After the broker acknowledged its second batch, the relay says so on stdout and waits before marking the
rows published: the test kills it in that window, when records are on the broker but not marked.
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg
from aiokafka import AIOKafkaProducer

from o2c_common.outbox import OutboxRelay


class SlowToMarkRelay(OutboxRelay):
    batches = 0

    async def _mark_published(self, conn: asyncpg.Connection, ids: list[int]) -> None:
        self.batches += 1
        if self.batches == 2:
            print(f"sent-not-marked {len(ids)}", flush=True)
            await asyncio.sleep(30)
        await super()._mark_published(conn, ids)


async def main(dsn: str, bootstrap: str, batch_size: int) -> None:
    relay = SlowToMarkRelay(
        dsn=dsn, batch_size=batch_size,
        producer_factory=lambda: AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all"),
    )
    await relay.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
