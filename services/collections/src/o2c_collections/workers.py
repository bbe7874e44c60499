"""Background work of this service beside the relay and consumers: the daily promise check, the dunning run,
the overdue escalation rules, the automatic credit hold rules (hourly) and the payment file imports (chunks).
State lives in the database and rows are claimed with ``FOR UPDATE SKIP LOCKED``, so any number of replicas may
run it and a restart loses nothing. Each step is one unit of work in its worker's name (``system:<worker>``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial

from o2c_collections.config import CollectionsSettings
from o2c_collections.credit.holds import run as run_hold_rules
from o2c_collections.dunning.service import run as run_dunning
from o2c_collections.escalations.service import run as run_escalation_rules
from o2c_collections.payments.imports import process_chunk
from o2c_collections.promises.service import decide_due
from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_common.tx import Transactions, Tx

DailyRun = Callable[[Tx, date], Awaitable[int]]


async def check_promises(tx: Tx, as_of: date) -> int:
    result = await decide_due(tx, as_of=as_of)
    return result.kept + result.broken


def dunning(settings: CollectionsSettings) -> DailyRun:
    async def send(tx: Tx, as_of: date) -> int:
        return (await run_dunning(tx, as_of=as_of, settings=settings)).sent
    return send


async def escalate(tx: Tx, as_of: date) -> int:
    return (await run_escalation_rules(tx, as_of=as_of)).escalated


async def hold_rules(tx: Tx, as_of: date) -> int:
    result = await run_hold_rules(tx, as_of=as_of)
    return result.placed + result.released


async def run_once(transactions: Transactions, actor: str, run: DailyRun) -> int:
    """One run as of today, in its own unit of work in ``actor``'s name; what it changed."""
    async with transactions.begin(actor) as tx:
        return await run(tx, tx.now().date())


async def import_chunk_once(transactions: Transactions, *, settings: CollectionsSettings) -> int:
    """One chunk of the oldest pending payment import, in its own transaction (the progress commits with it)."""
    async with transactions.begin("system:payment-imports") as tx:
        return await process_chunk(tx, settings=settings)


async def drain_imports(transactions: Transactions, *, settings: CollectionsSettings) -> int:
    """Every pending import to its end (tests, tools); the background step does the same a chunk at a time."""
    total = 0
    while done := await import_chunk_once(transactions, settings=settings):
        total += done
    return total


def background_tasks(*, transactions: Transactions, settings: CollectionsSettings) -> PeriodicTasks:
    """Daily runs: once a run is done it waits for its interval (a run covers everything due)."""
    daily = [("promise-check", settings.promise_check_interval_s, "system:promise-check", check_promises),
             ("dunning-run", settings.dunning_interval_s, "system:dunning", dunning(settings)),
             ("escalation-run", settings.escalation_interval_s, "system:overdue-escalation", escalate),
             ("credit-hold-rules", settings.credit_hold_interval_s, "system:credit-hold-rules", hold_rules)]
    return PeriodicTasks([
        *(PeriodicStep(name, interval, partial(run_once, transactions, actor, run), drain=False)
          for name, interval, actor, run in daily),
        PeriodicStep("payment-imports", settings.import_poll_interval_s,
                     lambda: import_chunk_once(transactions, settings=settings)),
    ])
