"""Request dependencies of this service: its settings; If-Match comes from o2c_common.http."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from o2c_collections.config import CollectionsSettings
from o2c_common.http import IfMatchDep, Precondition

__all__ = ["IfMatchDep", "Precondition", "SettingsDep", "no_precondition", "request_settings"]


def no_precondition(_etag: str) -> None:
    """For system actors (rule runs, importers) that hold the row lock themselves: no client ETag to compare."""


def request_settings(request: Request) -> CollectionsSettings:
    settings: CollectionsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[CollectionsSettings, Depends(request_settings)]
