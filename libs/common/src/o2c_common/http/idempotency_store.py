"""Storage of Idempotency-Key claims and responses in the ``idempotency_keys`` table.

The life of a key (see :mod:`o2c_common.http.idempotency` for the HTTP semantics):

1. :meth:`IdempotencyStore.claim` — in its own short, committed transaction:
   ``INSERT … ON CONFLICT DO NOTHING`` a row ``status='in_progress'`` whose ``created_at``
   (``clock_timestamp()``) is the claim's token. If the row already exists it decides: expired
   (older than the TTL) or stale in-progress (older than ``in_progress_timeout``) → take it over with a
   conditional UPDATE; other request fingerprint → 422; completed → the stored response; in
   progress → 409. Two concurrent duplicates cannot both win: the unique key serialises them.
2. :meth:`IdempotencyStore.complete` — in the *caller's* transaction, the one holding the request's
   effect: ``UPDATE … SET status='completed', response_* … WHERE created_at = token AND status =
   'in_progress'``. The stored response is committed exactly when the effect is. If the claim was
   taken over meanwhile (only after ``in_progress_timeout``) the update matches nothing and 409 is
   raised, which rolls the effect back: an effect is never committed twice for one key.
3. :meth:`IdempotencyStore.release` — when the request failed (or never recorded a response): delete
   the still in-progress claim so that a retry with the same key runs again. Errors are not stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Interval, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from o2c_common.db.database import Database
from o2c_common.db.plumbing import idempotency_keys_table
from o2c_common.errors.problems import Conflict, UnprocessableEntity
from o2c_common.settings import ServiceSettings

log = structlog.get_logger("o2c.idempotency")

REPLAYED_HEADER = "Idempotent-Replayed"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
_LOCK_NOT_AVAILABLE = "55P03"
_CLAIM_ATTEMPTS = 5


class IdempotencyKeyInProgress(Conflict):
    type = "idempotency-key-in-progress"
    title = "Request with this Idempotency-Key still in progress"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            detail or "a request with this Idempotency-Key is still being processed; retry later",
            headers={"Retry-After": "1"},
            **kwargs,
        )


class IdempotencyKeyReused(UnprocessableEntity):
    type = "idempotency-key-reused"
    title = "Idempotency-Key reused with another request"


@dataclass(frozen=True, slots=True)
class Claim:
    """This request's ownership of a key; ``token`` is the row's ``created_at``."""

    principal: str
    key: str
    token: datetime


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def to_response(self, *, replayed: bool = True) -> Response:
        response = Response(content=self.body, status_code=self.status)
        for name, value in self.headers.items():
            response.headers[name] = value
        if replayed:
            response.headers[REPLAYED_HEADER] = "true"
        return response


def _interval(name: str, value: timedelta) -> Any:
    return bindparam(name, value, type_=Interval())


class IdempotencyStore:
    """Claims, completes and releases keys; built in the lifespan and put on ``app.state.idempotency``."""

    def __init__(
        self,
        *,
        database: Database,
        ttl: timedelta = timedelta(hours=24),
        in_progress_timeout: timedelta = timedelta(seconds=60),
        lock_timeout_ms: int = 5000,
    ) -> None:
        if in_progress_timeout > ttl:
            raise ValueError("in_progress_timeout must not exceed ttl")
        self.database = database
        self.ttl = ttl
        self.in_progress_timeout = in_progress_timeout
        self.lock_timeout_ms = int(lock_timeout_ms)

    @classmethod
    def from_settings(cls, *, database: Database, settings: ServiceSettings) -> IdempotencyStore:
        return cls(database=database, ttl=timedelta(hours=settings.idempotency_ttl_hours))

    async def _set_lock_timeout(self, session: AsyncSession) -> None:
        await session.execute(select(func.set_config("lock_timeout", f"{self.lock_timeout_ms}ms", True)))

    async def claim(
        self, *, principal: str, key: str, method: str, path: str, request_hash: str
    ) -> Claim | StoredResponse:
        """Claim ``key`` for this request, or return the response stored for it.

        Raises :class:`IdempotencyKeyInProgress` (409) or :class:`IdempotencyKeyReused` (422).
        """
        t = idempotency_keys_table
        identity = and_(t.c.principal == principal, t.c.key == key)
        fresh = {
            "method": method,
            "path": path,
            "request_hash": request_hash,
            "status": IN_PROGRESS,
            "response_status": None,
            "response_headers": None,
            "response_body": None,
            "completed_at": None,
        }
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                async with self.database.unit_of_work() as session:
                    await self._set_lock_timeout(session)
                    inserted = await session.execute(
                        pg_insert(t)
                        .values(principal=principal, key=key, created_at=func.clock_timestamp(), **fresh)
                        .on_conflict_do_nothing(index_elements=[t.c.principal, t.c.key])
                        .returning(t.c.created_at)
                    )
                    token = inserted.scalar_one_or_none()
                    if token is not None:
                        return Claim(principal=principal, key=key, token=token)
                    now = func.now()
                    row = (
                        (
                            await session.execute(
                                select(
                                    t.c.request_hash,
                                    t.c.status,
                                    t.c.created_at,
                                    t.c.response_status,
                                    t.c.response_headers,
                                    t.c.response_body,
                                    (t.c.created_at < now - _interval("ttl", self.ttl)).label("expired"),
                                    (t.c.created_at < now - _interval("stale", self.in_progress_timeout)).label(
                                        "stale"
                                    ),
                                ).where(identity)
                            )
                        )
                        .mappings()
                        .one_or_none()
                    )
                    if row is None:
                        continue  # released between our INSERT and SELECT: try again
                    takeover = row["expired"] or (row["status"] == IN_PROGRESS and row["stale"])
                    if not row["expired"] and row["request_hash"] != request_hash:
                        raise IdempotencyKeyReused(
                            "this Idempotency-Key was already used with a different request "
                            "(method, path or body); use a new key for a new request"
                        )
                    if not takeover and row["status"] == COMPLETED:
                        return StoredResponse(
                            status=int(row["response_status"]),
                            headers=dict(row["response_headers"] or {}),
                            body=bytes(row["response_body"] or b""),
                        )
                    if not takeover:
                        raise IdempotencyKeyInProgress()
                    taken = await session.execute(
                        update(t)
                        .where(identity, t.c.created_at == row["created_at"], t.c.status == row["status"])
                        .values(created_at=func.clock_timestamp(), **fresh)
                        .returning(t.c.created_at)
                    )
                    token = taken.scalar_one_or_none()
                    if token is not None:
                        log.info("idempotency_key_taken_over", key=key, expired=bool(row["expired"]))
                        return Claim(principal=principal, key=key, token=token)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    raise IdempotencyKeyInProgress() from None
                raise
        raise IdempotencyKeyInProgress("the Idempotency-Key is contended; retry later")

    async def complete(self, session: AsyncSession, *, claim: Claim, response: StoredResponse) -> None:
        """Store ``response`` for the claim inside ``session``'s transaction (never commits)."""
        t = idempotency_keys_table
        result: Any = await session.execute(
            update(t)
            .where(
                t.c.principal == claim.principal,
                t.c.key == claim.key,
                t.c.created_at == claim.token,
                t.c.status == IN_PROGRESS,
            )
            .values(
                status=COMPLETED,
                response_status=response.status,
                response_headers=dict(response.headers),
                response_body=response.body,
                completed_at=func.clock_timestamp(),
            )
        )
        if result.rowcount != 1:
            raise IdempotencyKeyInProgress(
                "this request took too long and its Idempotency-Key was claimed by a retry; "
                "nothing was changed by this attempt"
            )

    async def release(self, claim: Claim) -> bool:
        """Delete the claim if it is still in progress (its request failed). True if deleted."""
        t = idempotency_keys_table
        try:
            async with self.database.unit_of_work() as session:
                await self._set_lock_timeout(session)
                result: Any = await session.execute(
                    delete(t).where(
                        t.c.principal == claim.principal,
                        t.c.key == claim.key,
                        t.c.created_at == claim.token,
                        t.c.status == IN_PROGRESS,
                    )
                )
                return bool(result.rowcount)
        except Exception as exc:  # the claim then expires after in_progress_timeout
            log.warning("idempotency_release_failed", key=claim.key, error=repr(exc))
            return False

    async def purge_expired(self) -> int:
        """Delete keys older than the TTL (housekeeping; expired keys are already ignored)."""
        t = idempotency_keys_table
        async with self.database.unit_of_work() as session:
            result: Any = await session.execute(
                delete(t).where(t.c.created_at < func.now() - _interval("ttl", self.ttl))
            )
            return int(result.rowcount)


def storable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Response headers worth replaying (not per-request ones such as the correlation id)."""
    skip = {"content-length", "set-cookie", "x-correlation-id", "date", "server", REPLAYED_HEADER.lower()}
    return {name: value for name, value in headers.items() if name.lower() not in skip}
