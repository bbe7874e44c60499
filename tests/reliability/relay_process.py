"""Runs one outbox relay in its own process, so a test can kill it with SIGKILL mid-batch."""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaProducer

from o2c_common.outbox import OutboxRelay


async def main(dsn: str, bootstrap: str, batch_size: int) -> None:
    relay = OutboxRelay(
        dsn=dsn, batch_size=batch_size,
        producer_factory=lambda: AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all"),
    )
    await relay.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
