"""Request dependencies of this service: its settings and the owner/team filters of work queues and reports
(If-Match comes from o2c_common.http)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from o2c_invoicing.config import InvoicingSettings

__all__ = ["Owner", "SettingsDep", "Team", "request_settings"]


def request_settings(request: Request) -> InvoicingSettings:
    settings: InvoicingSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[InvoicingSettings, Depends(request_settings)]
Owner = Annotated[str | None, Query(min_length=1, max_length=200, description="The invoice's preparer.")]
Team = Annotated[str | None, Query(min_length=1, max_length=64, description="The owning team.")]
