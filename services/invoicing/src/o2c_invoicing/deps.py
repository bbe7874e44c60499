"""Request dependencies of this service: its settings, the shared HTTP client for deliveries to portals and the
owner/team filters of work queues and reports (If-Match comes from o2c_common.http)."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Query, Request

from o2c_invoicing.config import InvoicingSettings

__all__ = ["ClientDep", "Owner", "SettingsDep", "Team", "portal_client", "request_settings"]


async def request_settings(request: Request) -> InvoicingSettings:
    settings: InvoicingSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[InvoicingSettings, Depends(request_settings)]


async def portal_client(request: Request) -> httpx.AsyncClient:
    """The app's shared client for portal deliveries (opened and closed by the app's lifespan)."""
    client: httpx.AsyncClient = request.app.state.portal_client
    return client


ClientDep = Annotated[httpx.AsyncClient, Depends(portal_client)]
Owner = Annotated[str | None, Query(min_length=1, max_length=200, description="The invoice's preparer.")]
Team = Annotated[str | None, Query(min_length=1, max_length=64, description="The owning team.")]
