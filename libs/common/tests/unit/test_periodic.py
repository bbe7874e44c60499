import asyncio

from o2c_common.periodic import PeriodicStep, PeriodicTasks


async def test_steps_drain_retry_after_failure_and_stop_cleanly() -> None:
    calls = {"drain": 0, "daily": 0, "flaky": 0}
    closed = asyncio.Event()

    async def drain() -> int:
        calls["drain"] += 1
        return 1 if calls["drain"] < 5 else 0  # four full batches, then nothing due

    async def daily() -> int:
        calls["daily"] += 1
        return 1

    async def flaky() -> int:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("database down")
        return 0

    async def close() -> None:
        closed.set()

    tasks = PeriodicTasks([PeriodicStep("drain", 60, drain), PeriodicStep("daily", 60, daily, drain=False),
                           PeriodicStep("flaky", 0.01, flaky)], on_stop=close)
    tasks.start()
    await asyncio.sleep(0.2)
    assert tasks.running()
    await tasks.stop()
    assert not tasks.running() and closed.is_set()
    assert calls["drain"] == 5  # ran again at once while it had work, then waited its interval
    assert calls["daily"] == 1  # did something, yet waits for its interval
    assert calls["flaky"] >= 2  # a failure is logged and retried after the interval
