"""The stages of `o2c history replay` (o2c_cli.history): request bodies, the chunked calls to invoicing's and
collections' batch endpoints with their per-row answers, the wait for collections' receivables and for kpi."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Protocol, TypeVar

import httpx

from o2c_cli.history_chunks import InOrder, by_payer, chunked
from o2c_collections.history.schemas import HistoryRow
from o2c_common.money import round_money

TRANSIENT = frozenset({429, 502, 503, 504})
T = TypeVar("T")
ROW_POINTER = re.compile(r"^#/(?:invoices|payments)/(\d+)(?:/|$)")
LOOKUP = 1000  # invoice ids per receivables lookup (the endpoint's most)
LOOKUP_WINDOW = 8  # lookups a round: the oldest missing receivables first


class ReplayError(RuntimeError):
    """The replay could not finish (collections never opened some receivables, kpi never caught up)."""


class ReplayProgress(Protocol):
    def stage(self, name: str, total: int) -> None: ...

    def advance(self, name: str, n: int = 1) -> None: ...


@dataclass
class Position:
    """Rows (from the top of the file) whose invoices, and whose payments, are done: where a resumed run starts."""

    invoices: int = 0
    payments: int = 0


@dataclass
class ReplayResult:
    rows: int = 0
    invoices_created: int = 0
    invoices_existing: int = 0  # loaded by an earlier run: nothing written
    receivables_open: int = 0  # rows whose receivable collections has opened
    payments_booked: int = 0
    payments_applied: int = 0  # of those booked, applied in full to their invoice
    payments_existing: int = 0  # bank reference booked by an earlier run: nothing written
    errors: list[str] = field(default_factory=list)  # "line N: <what the service said>"
    seconds: dict[str, float] = field(default_factory=dict)  # per stage
    position: Position = field(default_factory=Position)

    @property
    def changed(self) -> int:
        return self.invoices_created + self.payments_booked

    @property
    def rows_per_s(self) -> float:
        total = sum(self.seconds.values())
        return self.rows / total if total else 0.0


def invoice_body(row: HistoryRow, *, legal_entity: str, currency: str) -> dict[str, Any]:
    return {"id": str(row.invoice_id), "legal_entity": legal_entity, "customer_id": row.customer_id,
            "currency": currency, "number": row.invoice_number, "issue_date": row.invoice_date.isoformat(),
            "due_date": row.due_date.isoformat(),
            "lines": [{"description": f"Invoice {row.invoice_number}", "quantity": "1",
                       "unit_price": str(row.amount), "tax_rate": "0"}]}


def payment_body(row: HistoryRow, *, legal_entity: str, currency: str) -> dict[str, Any]:
    """The payment of the row, of what its invoice came to: invoicing rounds the line to the currency's minor
    unit, and collections refuses an amount finer than it."""
    amount = str(round_money(row.amount, currency))
    return {"legal_entity": legal_entity, "customer_id": row.customer_id, "currency": currency,
            "amount": amount, "value_date": row.settled_date.isoformat(),
            "bank_reference": bank_reference(row, legal_entity=legal_entity),
            "remittance": [{"reference": row.invoice_number, "amount": amount}]}


def bank_reference(row: HistoryRow, *, legal_entity: str) -> str:
    return f"history:{legal_entity}:{row.invoice_number}"


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{response.status_code} {body.get('detail') or body.get('title') or body}"
    except ValueError:
        return f"{response.status_code} {response.text[:200]}"


def _is_problem(response: httpx.Response, slug: str) -> bool:
    try:
        return str(response.json().get("type", "")).endswith(f"/{slug}")
    except ValueError:
        return False


def refused_rows(response: httpx.Response) -> dict[int, str]:
    """The rows a refused chunk names (index → what was wrong), from its problem's ``errors`` pointers."""
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return {}
    refused: dict[int, str] = {}
    for error in errors:
        found = ROW_POINTER.match(str(error.get("pointer", "")))
        if found is not None:
            index = int(found.group(1))
            refused[index] = "; ".join(filter(None, (refused.get(index), str(error.get("detail", "")))))
    return refused


async def _send(call: Callable[[], Awaitable[httpx.Response]], *, attempts: int = 4) -> httpx.Response:
    """The response, retrying transport errors and 429/502/503/504 with a short backoff."""
    for attempt in range(1, attempts + 1):
        try:
            response = await call()
        except httpx.TransportError:
            if attempt == attempts:
                raise
        else:
            if response.status_code not in TRANSIENT or attempt == attempts:
                return response
        await asyncio.sleep(0.2 * 2 ** attempt)
    raise AssertionError("unreachable")


async def _each(items: Sequence[T], work: Callable[[T], Awaitable[None]], *, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> None:
        async with gate:
            await work(item)

    await asyncio.gather(*(one(item) for item in items))


@dataclass
class Replay:
    """One run: the clients, the result and the progress, shared by the stages."""

    invoicing: httpx.AsyncClient
    collections: httpx.AsyncClient
    legal_entity: str
    currency: str
    concurrency: int
    chunk_size: int
    result: ReplayResult
    progress: ReplayProgress | None
    failed: set[int] = field(default_factory=set)
    paid: Decimal = Decimal(0)  # applied this run
    created: Decimal = Decimal(0)  # invoiced this run
    batch_payments: bool = True

    def fail(self, row: HistoryRow, what: str) -> None:
        self.failed.add(row.line)
        self.result.errors.append(f"line {row.line} ({row.invoice_number}): {what}")

    def stage(self, name: str, total: int) -> None:
        if self.progress is not None:
            self.progress.stage(name, total)

    def tick(self, name: str, n: int = 1) -> None:
        if self.progress is not None and n:
            self.progress.advance(name, n)

    async def chunks(self, rows: Sequence[HistoryRow], work: Callable[[Sequence[HistoryRow]], Awaitable[None]],
                     *, done: Callable[[int], None]) -> None:
        """``work`` on each chunk, a few in flight; ``done(n)`` with the rows of the leading chunks finished."""
        parts = chunked(rows, self.chunk_size)
        order = InOrder.of_chunks(parts, done)

        async def one(index: int) -> None:
            await work(parts[index])
            order.finished(index)

        await _each(range(len(parts)), one, concurrency=self.chunks_in_flight)

    @property
    def chunks_in_flight(self) -> int:
        return max(1, min(self.concurrency, 3))

    async def open_and_pay(self, rows: Sequence[HistoryRow], *, timeout_s: float, done: Callable[[int], None],
                           opened: Callable[[], None]) -> None:
        """The payments of each chunk as soon as collections has opened every receivable of the chunk (a payment
        must find its invoice open to be applied), while it opens the later ones; ``opened()`` once all are. Chunks
        are split by payer (:func:`by_payer`), so those in flight do not wait on each other's locks."""
        windows = by_payer(rows, size=self.chunk_size, lanes=self.chunks_in_flight)
        parts = [chunk for window in windows for chunk in window]
        loaded = [row for row in rows if row.line not in self.failed]
        self.stage("receivables", len(loaded))
        self.stage("payments", len(rows))
        order = InOrder(windows, done)
        gate = asyncio.Semaphore(self.chunks_in_flight)
        tasks: list[asyncio.Task[None]] = []

        async def pay(index: int) -> None:
            async with gate:
                await self.pay(parts[index])
            order.finished(index)

        def ready(missing: Collection[uuid.UUID]) -> None:
            while len(tasks) < len(parts) and not any(r.invoice_id in missing for r in parts[len(tasks)]):
                tasks.append(asyncio.create_task(pay(len(tasks))))

        try:
            await self.await_receivables(loaded, timeout_s=timeout_s, ready=ready)
            opened()
        finally:
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for outcome in results:
            if isinstance(outcome, BaseException):
                raise outcome

    async def load_invoices(self, rows: Sequence[HistoryRow]) -> None:
        """One chunk; a refused chunk is sent again without the rows it names (nothing of it was booked)."""
        pending = list(rows)
        while pending:
            body = {"invoices": [invoice_body(r, legal_entity=self.legal_entity, currency=self.currency)
                                 for r in pending]}
            response = await _send(partial(self.invoicing.post, "/invoices/historical/batch", json=body))
            if response.status_code == 200:
                for row, answer in zip(pending, response.json()["results"], strict=True):
                    created = answer["outcome"] == "created"
                    self.result.invoices_created += created
                    self.result.invoices_existing += not created
                    self.created += row.amount if created else 0
                break
            refused = refused_rows(response) if response.status_code in (409, 422) else {}
            for index, row in enumerate(pending):
                if index in refused or not refused:
                    self.fail(row, f"invoicing refused the invoice: {refused.get(index) or _problem(response)}")
            pending = [row for index, row in enumerate(pending) if refused and index not in refused]
        self.tick("invoices", len(rows))

    async def pay_one(self, row: HistoryRow) -> None:
        body = payment_body(row, legal_entity=self.legal_entity, currency=self.currency)
        response = await _send(lambda: self.collections.post("/payments", json=body))
        if response.status_code == 201:
            self.booked(row, response.json().get("status") == "applied")
        elif response.status_code == 409 and _is_problem(response, "duplicate-payment"):
            self.result.payments_existing += 1
        else:
            self.fail(row, f"collections refused the payment: {_problem(response)}")

    def booked(self, row: HistoryRow, applied: bool) -> None:
        self.result.payments_booked += 1
        self.result.payments_applied += applied
        self.paid += row.amount if applied else 0

    async def pay(self, chunk: Sequence[HistoryRow]) -> None:
        """One chunk's payments (its rows whose invoice was not refused) through `POST /payments/batch`; row by row
        on a collections without it."""
        rows = [row for row in chunk if row.line not in self.failed]
        self.tick("payments", len(chunk) - len(rows))
        if rows and self.batch_payments:
            body = {"historical": True, "payments": [
                payment_body(r, legal_entity=self.legal_entity, currency=self.currency) for r in rows]}
            response = await _send(partial(self.collections.post, "/payments/batch", json=body))
            if response.status_code in (404, 405):
                self.batch_payments = False
            else:
                self.paid_batch(rows, response)
                self.tick("payments", len(rows))
                return

        async def one(row: HistoryRow) -> None:
            await self.pay_one(row)
            self.tick("payments")

        await _each(rows, one, concurrency=self.concurrency)

    def paid_batch(self, rows: Sequence[HistoryRow], response: httpx.Response) -> None:
        """The answer of `POST /payments/batch`: ``results``, one per payment by ``index``, each ``created`` (with
        ``applied``), ``duplicate`` (its bank reference booked before) or ``problem`` (an RFC 9457 problem)."""
        if response.status_code != 200:
            for row in rows:
                self.fail(row, f"collections refused the payments: {_problem(response)}")
            return
        answers = {answer["index"]: answer for answer in response.json()["results"]}
        for index, row in enumerate(rows):
            answer = answers.get(index, {})
            if answer.get("status") == "created":
                self.booked(row, bool(answer.get("applied")))
            elif answer.get("status") == "duplicate":
                self.result.payments_existing += 1
            else:
                problem = answer.get("problem") or {}
                self.fail(row, f"collections refused the payment: {problem.get('detail') or problem or 'no answer'}")

    async def await_receivables(self, rows: Sequence[HistoryRow], *, timeout_s: float,
                                ready: Callable[[Collection[uuid.UUID]], None] | None = None) -> None:
        """Until collections has opened every row's receivable (its `invoice.issued` consumer): the rows still
        missing looked up 1,000 at a time (`POST /receivables/open-amounts/lookup`), ``ready(missing)`` after each
        look; ReplayError naming what is missing once ``timeout_s`` passed without one opening."""
        pending = {row.invoice_id: row for row in rows}
        deadline = time.monotonic() + timeout_s
        while True:
            before = len(pending)
            stalled = time.monotonic() >= deadline  # then every missing one is asked for, before any is named
            asked = await self._look_up(pending, window=None if stalled else LOOKUP_WINDOW)
            self.result.receivables_open += before - len(pending)
            self.tick("receivables", before - len(pending))
            if ready is not None:
                ready(pending.keys())
            if not pending:
                return
            if len(pending) < before:  # progress: the timeout counts from the last receivable opened
                deadline = time.monotonic() + timeout_s
            elif stalled:
                missing = sorted(row.invoice_number for row in pending.values())
                raise ReplayError(
                    f"collections has not opened {len(missing)} of {len(rows)} receivables, none for {timeout_s:.0f}s "
                    f"(is collections consuming invoice.issued, and invoicing's outbox relay publishing?); "
                    f"first missing: {', '.join(missing[:5])}")
            if before - len(pending) < asked:  # some still missing (when every one asked was open: the next at once)
                await asyncio.sleep(0.5)

    async def _look_up(self, pending: dict[uuid.UUID, HistoryRow], *, window: int | None) -> int:
        """Drops from ``pending`` the invoices whose receivable collections has opened; how many it asked for. Only
        the missing ones are asked for (a scan of every open item each half second grew with the ledger, not with
        what is missing), and of those the first ``window`` lookups' worth (None: all). Collections opens them in
        about the order they were loaded; asking for every missing one each half second cost it 200 lookups of
        1,000 a round at the start of a 200,000-row run's wait."""
        async def look_up(ids: list[uuid.UUID]) -> None:
            response = await _send(partial(self.collections.post, "/receivables/open-amounts/lookup",
                                           json={"invoice_ids": [str(i) for i in ids]}))
            if response.status_code != 200:
                raise ReplayError(f"collections answered {_problem(response)} for its open amounts")
            for item in response.json()["items"]:
                pending.pop(uuid.UUID(item["invoice_id"]), None)

        ids = list(itertools.islice(pending, None if window is None else LOOKUP * window))
        await _each([ids[n:n + LOOKUP] for n in range(0, len(ids), LOOKUP)], look_up, concurrency=self.concurrency)
        return len(ids)


class KpiWatch:
    """kpi's credit sales and AR balance over the replayed dates: read before the replay, then awaited until they
    moved by what this run invoiced and what it applied (assumes nobody else books in those dates meanwhile)."""

    NAMES = "credit_sales,ar_balance"

    def __init__(self, client: httpx.AsyncClient, rows: Sequence[HistoryRow], *, legal_entity: str,
                 currency: str) -> None:
        self.client = client
        start = min(min(r.invoice_date, r.settled_date) for r in rows)
        end = max(max(r.invoice_date, r.settled_date) for r in rows)
        self.params = {"names": self.NAMES, "period": "custom", "start": start.isoformat(),
                       "end": end.isoformat(), "legal_entity": legal_entity, "currency": currency}
        self.baseline: dict[str, Decimal] = {}

    async def read(self) -> dict[str, Decimal]:
        response = await _send(lambda: self.client.get("/kpis", params=self.params))
        if response.status_code != 200:
            raise ReplayError(f"kpi answered {_problem(response)}")
        return {v["name"]: Decimal(v["value"]) for v in response.json()["values"]}

    async def start(self) -> None:
        self.baseline = await self.read()

    async def caught_up(self, *, created: Decimal, paid: Decimal, timeout_s: float) -> None:
        want = {"credit_sales": self.baseline.get("credit_sales", Decimal(0)) + created,
                "ar_balance": self.baseline.get("ar_balance", Decimal(0)) + created - paid}
        deadline, seen = time.monotonic() + timeout_s, {}
        while time.monotonic() < deadline:
            seen = await self.read()
            if all(seen.get(name, Decimal(0)) == value for name, value in want.items()):
                return
            await asyncio.sleep(0.25)
        raise ReplayError(f"kpi has not caught up after {timeout_s:.0f}s: {seen} (expected {want})")


