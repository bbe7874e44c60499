"""Request dependencies of this service: its settings; If-Match comes from o2c_common.http."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from o2c_collections.config import CollectionsSettings
from o2c_common.http import IfMatchDep

__all__ = ["IfMatchDep", "SettingsDep", "request_settings"]


def request_settings(request: Request) -> CollectionsSettings:
    settings: CollectionsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[CollectionsSettings, Depends(request_settings)]
