"""Background work of this service beside the relay and consumers: the daily promise check, the dunning run,
the overdue escalation rules, the automatic credit hold rules (hourly) and the payment file imports (chunks).
State lives in the database and rows are claimed with ``FOR UPDATE SKIP LOCKED``, so any number of replicas may
run it and a restart loses nothing. Each step is one unit of work in its worker's name (``system:<worker>``)."""

from __future__ import annotations

from o2c_collections.config import CollectionsSettings
from o2c_collections.credit.holds import run as run_hold_rules
from o2c_collections.dunning.service import run as run_dunning
from o2c_collections.escalations.service import run as run_escalation_rules
from o2c_collections.payments.imports import process_chunk
from o2c_collections.promises.service import decide_due
from o2c_common.periodic import PeriodicStep, PeriodicTasks
from o2c_common.tx import Transactions


async def check_promises_once(transactions: Transactions) -> int:
    async with transactions.begin("system:promise-check") as tx:
        result = await decide_due(tx, as_of=tx.now().date())
    return result.kept + result.broken


async def run_dunning_once(transactions: Transactions, *, settings: CollectionsSettings) -> int:
    async with transactions.begin("system:dunning") as tx:
        result = await run_dunning(tx, as_of=tx.now().date(), settings=settings)
    return result.sent


async def run_escalation_once(transactions: Transactions) -> int:
    async with transactions.begin("system:overdue-escalation") as tx:
        result = await run_escalation_rules(tx, as_of=tx.now().date())
    return result.escalated


async def run_hold_rules_once(transactions: Transactions) -> int:
    async with transactions.begin("system:credit-hold-rules") as tx:
        result = await run_hold_rules(tx, as_of=tx.now().date())
    return result.placed + result.released


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
    return PeriodicTasks([
        PeriodicStep("promise-check", settings.promise_check_interval_s,
                     lambda: check_promises_once(transactions), drain=False),
        PeriodicStep("dunning-run", settings.dunning_interval_s,
                     lambda: run_dunning_once(transactions, settings=settings), drain=False),
        PeriodicStep("escalation-run", settings.escalation_interval_s,
                     lambda: run_escalation_once(transactions), drain=False),
        PeriodicStep("credit-hold-rules", settings.credit_hold_interval_s,
                     lambda: run_hold_rules_once(transactions), drain=False),
        PeriodicStep("payment-imports", settings.import_poll_interval_s,
                     lambda: import_chunk_once(transactions, settings=settings)),
    ])
