"""Request dependencies of this service: its settings; If-Match comes from o2c_common.http."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from o2c_escalation.config import EscalationSettings

__all__ = ["SettingsDep", "request_settings"]


async def request_settings(request: Request) -> EscalationSettings:
    settings: EscalationSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[EscalationSettings, Depends(request_settings)]
