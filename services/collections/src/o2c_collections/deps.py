"""Request dependencies and edge helpers of this service: its settings, and If-Match on a locked row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request, Response

from o2c_collections.config import CollectionsSettings
from o2c_common.entities import Versioned, version_etag
from o2c_common.http import IfMatchDep, Precondition, set_etag
from o2c_common.tx import Tx

__all__ = ["IfMatchDep", "RuleId", "SettingsDep", "locked", "request_settings", "tagged"]

V = TypeVar("V", bound=Versioned)


async def request_settings(request: Request) -> CollectionsSettings:
    settings: CollectionsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[CollectionsSettings, Depends(request_settings)]
# the id a client gives a rule or a policy it creates or replaces (PUT)
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w.-]+$")]


async def locked(tx: Tx, lock: Callable[[Tx, Any], Awaitable[V]], entity_id: Any, if_match: Precondition) -> V:
    """The row ``lock`` loads (404/403 first) once the client's ``If-Match`` names its version (428 without one,
    412 when it is stale): checked under the row lock, before any rule of the transition."""
    entity = await lock(tx, entity_id)
    if_match(version_etag(entity))
    return entity


def tagged(response: Response, entity: V) -> V:
    """``entity`` with its version's ETag set on the response."""
    set_etag(response, etag=version_etag(entity))
    return entity
