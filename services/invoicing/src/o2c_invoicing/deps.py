"""Request dependencies of this service: its settings and the If-Match precondition of transitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from o2c_common.http import require_if_match
from o2c_invoicing.config import InvoicingSettings

Precondition = Callable[[str], None]
"""Called by a service with the entity's current ETag once it holds the row lock (412/428 when stale)."""


def request_settings(request: Request) -> InvoicingSettings:
    settings: InvoicingSettings = request.app.state.settings
    return settings


def if_match(request: Request) -> Precondition:
    def check(current_etag: str) -> None:
        require_if_match(request, current_etag=current_etag)

    return check


SettingsDep = Annotated[InvoicingSettings, Depends(request_settings)]
IfMatchDep = Annotated[Precondition, Depends(if_match)]
