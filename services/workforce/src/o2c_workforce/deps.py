"""Request dependencies of this service: its settings; If-Match comes from o2c_common.http."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from o2c_workforce.config import WorkforceSettings

__all__ = ["SettingsDep", "request_settings"]


async def request_settings(request: Request) -> WorkforceSettings:
    settings: WorkforceSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[WorkforceSettings, Depends(request_settings)]
