"""`o2c reconcile`: what invoicing, collections and kpi each say an invoice still owes, where they disagree.

Reads kpi's reconciliation (`GET /reconciliation/runs/latest`, `GET /reconciliation/drifts`), or runs one now with
`--run` (`POST /reconciliation/runs`, an AR supervisor's or integration's token). Exit code 1 when any invoice
drifts, so a CI job or a cron can fail on it; 2 when kpi cannot be asked."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from o2c_common.text import DASH, ago, money


@dataclass
class Reconciliation:
    run: dict[str, Any]
    drifts: list[dict[str, Any]]
    filtered: bool = False
    ran_now: bool = False

    @property
    def drifting(self) -> bool:
        """Any drift in view (with a filter: among the drifts it keeps)."""
        return bool(self.drifts) or (not self.filtered and bool(self.run.get("drifting")))


class KpiUnavailable(Exception):
    pass


async def reconcile(client: httpx.AsyncClient, *, run: bool, currency: str | None = None,
                    team: str | None = None) -> Reconciliation:
    """The latest run (or a new one) and every drifting invoice, filtered by currency and team."""
    response = await (client.post("/reconciliation/runs") if run else client.get("/reconciliation/runs/latest"))
    if response.status_code == 404 and not run:  # kpi's first scheduled run comes a few minutes after its start
        raise KpiUnavailable("no reconciliation has run yet; `o2c reconcile --run` compares every invoice now")
    _check(response)
    drifts: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": 200, **({"currency": currency} if currency else {}),
                                    **({"team": team} if team else {})}
    while True:
        page = await client.get("/reconciliation/drifts", params=params)
        _check(page)
        body = page.json()
        drifts.extend(body["items"])
        if not body.get("next_cursor"):
            return Reconciliation(run=response.json(), drifts=drifts, filtered=bool(currency or team), ran_now=run)
        params["cursor"] = body["next_cursor"]


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail") or response.json().get("title")
        except ValueError:
            detail = response.text[:300]
        raise KpiUnavailable(f"kpi answered {response.status_code} to {response.request.method} "
                             f"{response.request.url.path}: {detail}")


def _amount(value: str | None, currency: str) -> str:
    return DASH if value is None else money(Decimal(value), currency)


def render(result: Reconciliation) -> None:
    console = Console()  # made when it prints: the terminal's width (COLUMNS) then, not at import
    run = result.run
    amounts = ", ".join(money(Decimal(a), c) for c, a in run.get("amount_by_currency", {}).items())
    finished = datetime.fromisoformat(run["finished_at"]).strftime("%Y-%m-%d %H:%M:%S UTC")
    colour = "red" if result.drifting else "green"
    console.print(f"Reconciliation of {finished}: {run['invoices']} invoice(s) compared, "
                  f"[{colour}]{run['drifting']} drifting[/]" + (f" ({amounts})" if amounts else "")
                  + (f", {run['confirmed']} past the grace" if run.get("confirmed") else ""))
    if not result.ran_now:  # right after start-up the latest run may be the one that found no invoice yet
        age = ago(datetime.now(UTC) - datetime.fromisoformat(run["finished_at"]))
        console.print(f"[dim]The latest scheduled run, {age}; `o2c reconcile --run` compares every invoice now.[/]")
    if not result.drifts:
        return
    table = Table("invoice", "currency", "invoicing", "collections (ledger)", "kpi", "missing in", "why",
                  "first seen")
    for d in result.drifts:
        table.add_row(d["invoice_number"] or d["invoice_id"], d["currency"],
                      _amount(d["invoicing_open"], d["currency"]), _amount(d["collections_open"], d["currency"]),
                      _amount(d["kpi_open"], d["currency"]), ", ".join(d["missing_in"]) or DASH,
                      ", ".join(d["reasons"]), datetime.fromisoformat(d["first_seen_at"]).strftime("%Y-%m-%d %H:%M"))
    console.print(table)


def _token() -> str:
    from o2c_common.auth import mint_token
    from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings

    settings = ServiceSettings()
    return mint_token(secret=os.environ.get("O2C_JWT_SECRET", DEV_JWT_SECRET), subject="o2c-cli",
                      roles=["ar_supervisor"], ttl=timedelta(hours=1), issuer=settings.jwt_issuer,
                      audience=settings.jwt_audience)


def client(url: str, token: str | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token or _token()}"}, timeout=300)


def reconcile_command(
    run: Annotated[bool, typer.Option("--run", help="Compare every invoice now instead of showing the latest run")
                   ] = False,
    currency: Annotated[str | None, typer.Option(help="Only drifts in this currency (ISO 4217)")] = None,
    team: Annotated[str | None, typer.Option(help="Only drifts of this owning team")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The run and the drifts as JSON")] = False,
    url: Annotated[str, typer.Option(envvar="O2C_KPI_URL", help="The kpi service")] = "http://127.0.0.1:8003",
    token: Annotated[str | None, typer.Option(envvar="O2C_TOKEN",
                                              help="Bearer token (default: a dev token of an AR supervisor)")] = None,
) -> None:
    """Per invoice, invoicing's settlement, collections' ledger and kpi's AR must agree: show where they do not.
    Exits 1 when any invoice drifts."""

    async def fetch() -> Reconciliation:
        async with client(url, token) as http:
            return await reconcile(http, run=run, currency=currency, team=team)

    try:
        result = asyncio.run(fetch())
    except (KpiUnavailable, httpx.HTTPError) as exc:
        Console(stderr=True).print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        Console().print_json(json.dumps({"run": result.run, "drifts": result.drifts}))
    else:
        render(result)
    raise typer.Exit(1 if result.drifting else 0)
