"""`o2c history replay`: the IBM late-payment history replayed through the running services over HTTP.

Each row becomes a historical invoice in invoicing (`POST /invoices/historical`, id = the row's uuid5, its own
number and dates, no paid date), which reaches collections as `invoice.issued` and opens a receivable; once
collections has opened every one, each row's payment is booked on collections (`POST /payments`, value date =
SettledDate, remittance = invoice number and amount, bank reference `history:<entity>:<number>`), so the cash
application engine applies it by reference and amount and `payment.applied` carries the settled date; invoicing
then marks the invoice paid from that event. A re-run changes nothing: invoicing answers the stored invoice for
the same id and number, and collections refuses a bank reference it has booked (counted as already done).

Unlike `o2c collections import-history` (collections' own service layer, collections only), this goes through the
public APIs, so every service sees the same facts through its events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from o2c_collections.history.schemas import HistoryRow, parse

app = typer.Typer(help="History: replay past invoices and payments through the running services",
                  no_args_is_help=True)
console = Console(stderr=True)

DEFAULT_HISTORY = Path("examples/data/ibm-late-payment-histories.csv")
STAGES = ("invoices", "receivables", "payments")
TRANSIENT = frozenset({429, 502, 503, 504})


class ReplayError(RuntimeError):
    """The replay could not finish (collections never opened some receivables)."""


class ReplayProgress(Protocol):
    def stage(self, name: str, total: int) -> None: ...

    def advance(self, name: str) -> None: ...


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

    @property
    def changed(self) -> int:
        return self.invoices_created + self.payments_booked


def load_rows(path: Path, *, limit: int | None = None) -> list[HistoryRow]:
    """Parsed rows (422 DomainError on a malformed file), the first ``limit`` when given."""
    rows = parse(path.read_text(encoding="utf-8-sig"))
    return rows[:limit] if limit else rows


def mint_replay_token(*, subject: str = "system:history-replay") -> str:
    """A service token with the `integration` role (historical invoices, payments), signed like `o2c token`."""
    from o2c_common.auth import mint_token
    from o2c_common.settings import ServiceSettings

    settings = ServiceSettings()
    return mint_token(secret=settings.jwt_secret, subject=subject, roles=["integration"], kind="service",
                      ttl=timedelta(hours=2), issuer=settings.jwt_issuer, audience=settings.jwt_audience)


def invoice_body(row: HistoryRow, *, legal_entity: str, currency: str) -> dict[str, Any]:
    return {"id": str(row.invoice_id), "legal_entity": legal_entity, "customer_id": row.customer_id,
            "currency": currency, "number": row.invoice_number, "issue_date": row.invoice_date.isoformat(),
            "due_date": row.due_date.isoformat(),
            "lines": [{"description": f"Invoice {row.invoice_number}", "quantity": "1",
                       "unit_price": str(row.amount), "tax_rate": "0"}]}


def payment_body(row: HistoryRow, *, legal_entity: str, currency: str) -> dict[str, Any]:
    return {"legal_entity": legal_entity, "customer_id": row.customer_id, "currency": currency,
            "amount": str(row.amount), "value_date": row.settled_date.isoformat(),
            "bank_reference": bank_reference(row, legal_entity=legal_entity),
            "remittance": [{"reference": row.invoice_number, "amount": str(row.amount)}]}


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


async def _each(rows: Sequence[HistoryRow], work: Callable[[HistoryRow], Awaitable[None]], *,
                concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(row: HistoryRow) -> None:
        async with gate:
            await work(row)

    await asyncio.gather(*(one(row) for row in rows))


async def replay(*, rows: Sequence[HistoryRow], invoicing_url: str, collections_url: str, token: str,
                 legal_entity: str = "US01", currency: str = "USD", concurrency: int = 12,
                 invoices_only: bool = False, receivable_timeout_s: float = 120.0,
                 progress: ReplayProgress | None = None) -> ReplayResult:
    """Replay ``rows`` through the services (see the module's docstring). Rows refused by a service are listed in
    ``errors`` and skipped in later stages; raises ReplayError when collections has not opened the receivables
    of the loaded invoices within ``receivable_timeout_s``."""
    result = ReplayResult(rows=len(rows))
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    failed: set[int] = set()

    def fail(row: HistoryRow, what: str) -> None:
        failed.add(row.line)
        result.errors.append(f"line {row.line} ({row.invoice_number}): {what}")

    def tick(stage: str) -> None:
        if progress is not None:
            progress.advance(stage)

    async with httpx.AsyncClient(base_url=invoicing_url, headers=headers, limits=limits, timeout=30) as invoicing, \
            httpx.AsyncClient(base_url=collections_url, headers=headers, limits=limits, timeout=30) as collections:

        async def load_invoice(row: HistoryRow) -> None:
            body = invoice_body(row, legal_entity=legal_entity, currency=currency)
            response = await _send(lambda: invoicing.post("/invoices/historical", json=body))
            if response.status_code == 201:
                result.invoices_created += 1
            elif response.status_code == 200:
                result.invoices_existing += 1
            else:
                fail(row, f"invoicing refused the invoice: {_problem(response)}")
            tick("invoices")

        if progress is not None:
            progress.stage("invoices", len(rows))
        await _each(rows, load_invoice, concurrency=concurrency)
        loaded = [row for row in rows if row.line not in failed]
        await _await_receivables(collections, loaded, result=result, timeout_s=receivable_timeout_s,
                                 concurrency=concurrency, progress=progress)
        if invoices_only:
            return result

        async def pay(row: HistoryRow) -> None:
            body = payment_body(row, legal_entity=legal_entity, currency=currency)
            response = await _send(lambda: collections.post("/payments", json=body))
            if response.status_code == 201:
                result.payments_booked += 1
                result.payments_applied += response.json().get("status") == "applied"
            elif response.status_code == 409 and _is_problem(response, "duplicate-payment"):
                result.payments_existing += 1
            else:
                fail(row, f"collections refused the payment: {_problem(response)}")
            tick("payments")

        if progress is not None:
            progress.stage("payments", len(loaded))
        await _each(loaded, pay, concurrency=concurrency)
    return result


async def _await_receivables(collections: httpx.AsyncClient, rows: Sequence[HistoryRow], *, result: ReplayResult,
                             timeout_s: float, concurrency: int, progress: ReplayProgress | None) -> None:
    """Polls `GET /receivables/{invoice_id}` until collections has opened every row's receivable (its
    `invoice.issued` consumer), or raises ReplayError naming what is missing after ``timeout_s``."""
    if progress is not None:
        progress.stage("receivables", len(rows))
    pending = {row.invoice_id: row for row in rows}
    deadline = time.monotonic() + timeout_s

    async def check(row: HistoryRow) -> None:
        response = await _send(lambda: collections.get(f"/receivables/{row.invoice_id}"))
        if response.status_code == 200:
            pending.pop(row.invoice_id, None)
            result.receivables_open += 1
            if progress is not None:
                progress.advance("receivables")
        elif response.status_code != 404:
            raise ReplayError(f"collections answered {_problem(response)} for the receivable of {row.invoice_number}")

    while True:
        await _each(list(pending.values()), check, concurrency=concurrency)
        if not pending:
            return
        if time.monotonic() >= deadline:
            missing = sorted(row.invoice_number for row in pending.values())
            raise ReplayError(
                f"collections has not opened {len(missing)} of {len(rows)} receivables after {timeout_s:.0f}s "
                f"(is collections consuming invoice.issued, and invoicing's outbox relay publishing?); "
                f"first missing: {', '.join(missing[:5])}")
        await asyncio.sleep(0.5)


class RichReplayProgress:
    """One bar per stage on a rich Progress."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def stage(self, name: str, total: int) -> None:
        self.tasks[name] = self.progress.add_task(name, total=total)

    def advance(self, name: str) -> None:
        self.progress.advance(self.tasks[name])


@app.command("replay")
def replay_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The history CSV")] = DEFAULT_HISTORY,
    invoicing_url: Annotated[str, typer.Option(envvar="O2C_INVOICING_URL")] = "http://127.0.0.1:8001",
    collections_url: Annotated[str, typer.Option(envvar="O2C_COLLECTIONS_URL")] = "http://127.0.0.1:8002",
    legal_entity: Annotated[str, typer.Option(help="Legal entity of the replayed invoices")] = "US01",
    currency: Annotated[str, typer.Option(help="Currency of the replayed amounts")] = "USD",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N rows")] = None,
    invoices_only: Annotated[bool, typer.Option(help="Load the invoices, book no payments")] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight")] = 12,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for collections' receivables")] = 120.0,
) -> None:
    """Replay the late-payment history through the running services: historical invoices in invoicing,
    receivables opened by collections from `invoice.issued`, payments booked on their settled dates and applied
    by reference. Idempotent: a re-run changes nothing."""
    from o2c_common.errors import DomainError

    try:
        rows = load_rows(path, limit=limit)
    except DomainError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from exc
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bars:
        try:
            result = asyncio.run(replay(
                rows=rows, invoicing_url=invoicing_url, collections_url=collections_url, token=mint_replay_token(),
                legal_entity=legal_entity, currency=currency, concurrency=concurrency, invoices_only=invoices_only,
                receivable_timeout_s=timeout, progress=RichReplayProgress(bars)))
        except (ReplayError, httpx.HTTPError) as exc:
            console.print(f"[red]replay stopped: {exc}")
            raise typer.Exit(1) from exc
    console.print(f"[green]✓[/] {result.rows} rows: {result.invoices_created} invoices loaded "
                  f"({result.invoices_existing} already there), {result.receivables_open} receivables open, "
                  f"{result.payments_booked} payments booked ({result.payments_applied} applied, "
                  f"{result.payments_existing} already booked)")
    for error in result.errors[:20]:
        console.print(f"[red]{error}")
    if result.errors:
        console.print(f"[red]{len(result.errors)} row(s) refused")
        raise typer.Exit(1)
