"""`o2c invoicing`: bulk work through the invoicing API — CSV import of invoices, bulk issue and submission.

The async functions take an httpx client (a running service, or an app in-process in tests) and report
per-invoice outcomes; the commands add a token, progress bars and a summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from o2c_invoicing.bulk.csvfile import CsvInvoice, RowError, parse_invoices

app = typer.Typer(help="Invoicing: CSV import and bulk submission through the API", no_args_is_help=True)
console = Console(stderr=True)

Advance = Callable[[], None]


@dataclass
class ImportResult:
    created: int = 0
    replayed: int = 0  # the same invoice sent by an earlier run (same Idempotency-Key and body)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class SubmitResult:
    issued: int = 0
    submitted: int = 0
    errors: list[str] = field(default_factory=list)  # "<invoice id>: <what the service said>"


def _details(response: httpx.Response) -> list[tuple[str, str]]:
    """(pointer, message) of a problem+json answer: each validation error or portal rule, else its detail."""
    try:
        body = response.json()
    except ValueError:
        return [("#", f"{response.status_code} {response.text[:200]}")]
    items = body.get("errors") or body.get("violations") or []
    found = [(str(i.get("pointer", "#")), str(i.get("detail") or i.get("msg") or i)) for i in items]
    return found or [("#", f"{response.status_code} {body.get('detail') or body.get('title')}")]


async def _gather(items: Sequence[Any], work: Callable[[Any], Awaitable[None]], *, concurrency: int,
                  advance: Advance | None) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> None:
        async with gate:
            await work(item)
        if advance is not None:
            advance()

    await asyncio.gather(*(one(item) for item in items))


async def import_invoices(client: httpx.AsyncClient, invoices: Sequence[CsvInvoice], *, concurrency: int = 8,
                          advance: Advance | None = None) -> ImportResult:
    """POST each invoice (one request, so one transaction: whole or not at all) with an Idempotency-Key from
    its ref and content; refusals are reported on the file lines they concern."""
    result = ImportResult()

    async def send(invoice: CsvInvoice) -> None:
        response = await client.post("/invoices", json=invoice.body,
                                     headers={"Idempotency-Key": invoice.idempotency_key})
        if response.status_code == 201:
            if response.headers.get("Idempotent-Replayed", "").lower() == "true":
                result.replayed += 1
            else:
                result.created += 1
            return
        for pointer, detail in _details(response):
            result.errors.append(RowError(invoice.line_of(pointer), invoice.ref, detail))

    await _gather(invoices, send, concurrency=concurrency, advance=advance)
    result.errors.sort(key=lambda e: (e.line, e.detail))
    return result


async def find_invoices(client: httpx.AsyncClient, *, status: str, customer_id: str | None = None,
                        limit: int | None = None) -> list[dict[str, Any]]:
    """Every invoice in ``status`` (cursor pages), up to ``limit``."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while limit is None or len(found) < limit:
        params: dict[str, Any] = {"status": status, "limit": 200}
        if customer_id:
            params["customer_id"] = customer_id
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/invoices", params=params)).raise_for_status().json()
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return found[:limit] if limit is not None else found


async def submit_invoices(client: httpx.AsyncClient, invoices: Sequence[dict[str, Any]], *, concurrency: int = 8,
                          advance: Advance | None = None) -> SubmitResult:
    """Issue the approved ones, then submit each to its channel (If-Match from each answer). An invoice the
    portal rules refuse stays issued and is reported with every violation."""
    from o2c_common.http import make_etag

    result = SubmitResult()

    async def step(invoice: dict[str, Any], action: str, etag: str) -> httpx.Response | None:
        path = f"/invoices/{invoice['id']}"
        response = await client.post(f"{path}/{action}", headers={"If-Match": etag})
        for _ in range(2):  # a submit right after issue races the ledger's first entry, mirrored onto the invoice
            if response.status_code != 412 or action != "submit":
                break
            current = await client.get(path)
            if current.status_code != 200 or current.json()["status"] != "issued":
                break
            response = await client.post(f"{path}/{action}", headers={"If-Match": current.headers["ETag"]})
        if response.status_code == 200:
            return response
        what = "; ".join(detail for _, detail in _details(response))
        result.errors.append(f"{invoice.get('number') or invoice['id']}: {action} refused: {what}")
        return None

    async def run(invoice: dict[str, Any]) -> None:
        etag = make_etag(entity_id=invoice["id"], version=invoice["version"])
        if invoice["status"] == "approved":
            issued = await step(invoice, "issue", etag)
            if issued is None:
                return
            result.issued += 1
            invoice, etag = issued.json(), issued.headers["ETag"]
        if await step(invoice, "submit", etag) is not None:
            result.submitted += 1

    await _gather(invoices, run, concurrency=concurrency, advance=advance)
    return result


async def work_queues(client: httpx.AsyncClient, *, queue: str | None = None, team: str | None = None,
                      owner: str | None = None, limit: int = 50) -> dict[str, Any]:
    """Every queue's count (``queue`` None), or the first ``limit`` items of one queue with their reasons."""
    params = {k: v for k, v in {"team": team, "owner": owner}.items() if v}
    if queue is None:
        return dict((await client.get("/work-queues", params=params)).raise_for_status().json())
    page = await client.get(f"/work-queues/{queue}", params={**params, "limit": limit})
    return dict(page.raise_for_status().json())


def queue_table(queue: str | None, answer: dict[str, Any]) -> Table:
    """What `o2c invoicing queues` prints: counts per queue, or one queue's invoices and why they wait."""
    from o2c_common.text import money, or_dash

    if queue is None:
        table = Table("queue", "invoices", title="Work queues")
        for row in answer["queues"]:
            table.add_row(row["queue"], str(row["count"]))
        return table
    table = Table("invoice", "customer", "amount", "status", "days", "reason", title=f"Work queue {queue}")
    for item in answer["items"]:
        reason = item["reason"] + (f" ({item['reason_detail']})" if item.get("reason_detail") else "")
        table.add_row(or_dash(item["number"]), item["customer_id"],
                      money(Decimal(item["total_amount"]), item["currency"]), item["status"],
                      str(item["days_in_status"]), reason)
    return table


def _client(url: str, token: str | None, subject: str) -> httpx.AsyncClient:
    if token is None:
        from o2c_common.auth import mint_token
        from o2c_common.settings import ServiceSettings

        settings = ServiceSettings()
        token = mint_token(secret=settings.jwt_secret, subject=subject, roles=["billing_specialist"],
                           ttl=timedelta(hours=2), issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _bars() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


Url = Annotated[str, typer.Option(envvar="O2C_INVOICING_URL", help="The invoicing service")]
Token = Annotated[str | None, typer.Option(envvar="O2C_TOKEN", help="Bearer token (else a dev token is minted)")]
Subject = Annotated[str, typer.Option("--as", help="Who the minted dev token speaks for (the preparer)")]
Concurrency = Annotated[int, typer.Option(min=1, max=64, help="Requests in flight")]


@app.command("import")
def import_command(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Invoices CSV")],
                   url: Url = "http://127.0.0.1:8001", token: Token = None, subject: Subject = "cli-import",
                   concurrency: Concurrency = 8) -> None:
    """Create draft invoices from a CSV (one row per line; rows sharing `ref` are one invoice). Invoices with a
    bad row are reported by file line and not sent; a re-run of the same file creates nothing twice."""
    invoices, errors = parse_invoices(path.read_text(encoding="utf-8-sig"))

    async def go() -> ImportResult:
        async with _client(url, token, subject) as client:
            with _bars() as bars:
                task = bars.add_task("importing invoices", total=len(invoices))
                return await import_invoices(client, invoices, concurrency=concurrency,
                                             advance=lambda: bars.advance(task))

    result = asyncio.run(go()) if invoices else ImportResult()
    errors = sorted([*errors, *result.errors], key=lambda e: (e.line, e.detail))
    for error in errors:
        console.print(f"[red]line {error.line}[/] {error.ref}: {error.detail}")
    console.print(f"[green]✓[/] {result.created} invoices created, {result.replayed} already imported, "
                  f"{len({e.ref for e in errors})} refused")
    if errors:
        raise typer.Exit(1)


@app.command("submit")
def submit_command(status: Annotated[Literal["approved", "issued"], typer.Option(
                       help="approved: issue, then submit; issued: submit")] = "issued",
                   customer: Annotated[str | None, typer.Option(help="Only this customer's invoices")] = None,
                   limit: Annotated[int | None, typer.Option(min=1, help="At most N invoices")] = None,
                   url: Url = "http://127.0.0.1:8001", token: Token = None, subject: Subject = "cli-submit",
                   concurrency: Concurrency = 8) -> None:
    """Submit invoices in bulk to their customers' channels (portal, Peppol, e-mail), issuing approved ones
    first. Refusals (portal rules, delivery) are listed; the rest goes through."""

    async def go() -> SubmitResult:
        async with _client(url, token, subject) as client:
            invoices = await find_invoices(client, status=status, customer_id=customer, limit=limit)
            with _bars() as bars:
                task = bars.add_task(f"submitting {status} invoices", total=len(invoices))
                return await submit_invoices(client, invoices, concurrency=concurrency,
                                             advance=lambda: bars.advance(task))

    result = asyncio.run(go())
    for error in result.errors:
        console.print(f"[red]{error}")
    console.print(f"[green]✓[/] {result.issued} issued, {result.submitted} submitted, {len(result.errors)} refused")
    if result.errors:
        raise typer.Exit(1)


@app.command("queues")
def queues_command(queue: Annotated[str | None, typer.Argument(
                       help="One queue (e.g. submission_refused, delivery_failed, customer_says_paid_no_cash); "
                            "all counts when empty")] = None,
                   team: Annotated[str | None, typer.Option(help="Only this owning team")] = None,
                   owner: Annotated[str | None, typer.Option(help="Only this preparer's invoices")] = None,
                   limit: Annotated[int, typer.Option(min=1, max=200, help="Items shown")] = 50,
                   url: Url = "http://127.0.0.1:8001", token: Token = None, subject: Subject = "cli-queues") -> None:
    """What waits for action: every work queue's count, or one queue's invoices with the reason each waits."""

    async def go() -> dict[str, Any]:
        async with _client(url, token, subject) as client:
            return await work_queues(client, queue=queue, team=team, owner=owner, limit=limit)

    Console().print(queue_table(queue, asyncio.run(go())))
