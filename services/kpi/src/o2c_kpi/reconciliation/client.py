"""Reading invoicing's settlements and collections' open amounts: keyset pages ascending by invoice id
(``?after=<invoice id>&limit=<n>``; a page is ``{"items": [...], "next_after": <id or null>}``), with a
service token (role ``integration``, subject ``system:reconciliation``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from o2c_common.auth import mint_token
from o2c_kpi.config import KpiSettings
from o2c_kpi.reconciliation.compare import Row, Side, SourceError

SUBJECT = "system:reconciliation"
SETTLEMENTS = "/settlements"
OPEN_AMOUNTS = "/receivables/open-amounts"


def service_token(settings: KpiSettings) -> str:
    """The token file's content when one is configured (a mounted secret, re-read each run); else a short-lived
    token signed with the service's own JWT secret (development and tests)."""
    if settings.recon_token_file is not None:
        return settings.recon_token_file.read_text().strip()
    return mint_token(secret=settings.jwt_secret, subject=SUBJECT, roles=("integration",), kind="service",
                      ttl=timedelta(hours=1), issuer=settings.jwt_issuer, audience=settings.jwt_audience)


def invoicing_row(item: dict[str, Any]) -> Row:
    opened = item.get("ledger_open_amount")
    return Row(invoice_id=uuid.UUID(str(item["invoice_id"])), currency=item["currency"],
               open=None if opened is None else Decimal(str(opened)), sequence=int(item.get("ledger_sequence") or 0),
               invoice_number=item.get("number"), customer_id=item.get("customer_id"),
               owning_team=item.get("owning_team"))


def collections_row(item: dict[str, Any]) -> Row:
    return Row(invoice_id=uuid.UUID(str(item["invoice_id"])), currency=item["currency"],
               open=Decimal(str(item["open_amount"])), sequence=int(item.get("entries") or 0),
               invoice_number=item.get("invoice_number"), customer_id=item.get("customer_id"),
               owning_team=item.get("owning_team"))


@dataclass
class RemoteSources:
    """The two services' pages over one HTTP client (``transport`` lets tests serve them in-process)."""

    settings: KpiSettings
    transport: httpx.AsyncBaseTransport | None = None

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.settings.recon_timeout_s,
                                 headers={"Authorization": f"Bearer {service_token(self.settings)}"})

    def streams(self, client: httpx.AsyncClient) -> dict[Side, AsyncIterator[Row]]:
        size = self.settings.recon_page_size
        return {
            Side.INVOICING: pages(client, f"{self.settings.recon_invoicing_url.rstrip('/')}{SETTLEMENTS}",
                                  Side.INVOICING, invoicing_row, size),
            Side.COLLECTIONS: pages(client, f"{self.settings.recon_collections_url.rstrip('/')}{OPEN_AMOUNTS}",
                                    Side.COLLECTIONS, collections_row, size),
        }


async def pages(client: httpx.AsyncClient, url: str, side: Side, row: Callable[[dict[str, Any]], Row],
                size: int) -> AsyncIterator[Row]:
    """Every row of a keyset-paged list, page by page."""
    after: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": size, **({"after": after} if after else {})}
        try:
            response = await client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(f"{side} could not be read at {url}: {exc!r}") from exc
        if response.status_code != 200:
            raise SourceError(f"{side} answered {response.status_code} at {url}: {response.text[:300]}")
        body = response.json()
        items: list[dict[str, Any]] = body if isinstance(body, list) else body.get("items", [])
        for item in items:
            yield row(item)
        if isinstance(body, dict) and "next_after" in body:
            after = None if body["next_after"] is None else str(body["next_after"])
        else:
            after = str(items[-1]["invoice_id"]) if len(items) >= size else None
        if after is None or not items:
            return
