"""``Idempotency-Key`` for POST requests that create something (BRIEF §4).

Semantics, per principal (the token's subject) and key:

* first request with a key → claimed (``in_progress``) and executed; its response is stored **in the
  same database transaction as its effect**, so a stored response exists exactly when the effect
  was committed;
* same key, same request (method, path + query, body; JSON bodies compared canonically, so key order
  and whitespace do not matter) after completion → the stored response is replayed: same status,
  same body, same ``Location``/``ETag``/content type, plus ``Idempotent-Replayed: true``;
* same key while the first request still runs → 409 ``idempotency-key-in-progress`` with
  ``Retry-After: 1``;
* same key, different request → 422 ``idempotency-key-reused``;
* a request that fails (any exception, including 4xx domain errors and validation errors) commits
  no effect, stores nothing and releases the key: a retry with the same key runs again;
* keys expire ``idempotency_ttl_hours`` after their first use (then the key is new again); an
  in-progress claim older than ``in_progress_timeout`` (a crashed instance) may be taken over by a
  retry, and the slow original then fails with 409 when it tries to commit, so the effect still
  happens once;
* without the header the request just runs (or is refused with 400 when ``required=True``).

Usage: the lifespan sets ``app.state.idempotency = IdempotencyStore.from_settings(database=db,
settings=settings)`` and ``install_problem_handlers(app)`` is installed (it answers replays). The
route builds its response through :meth:`Idempotency.respond` inside its unit of work::

    @router.post("/invoices", status_code=201, response_model=InvoiceRead,
                 responses=problem_responses(409, 422))
    async def create_invoice(body: InvoiceCreate, request: Request,
                             idem: Annotated[Idempotency, Depends(idempotency())]) -> Response:
        async with request.app.state.db.unit_of_work() as session:
            invoice = await service.create_invoice(session=session, data=body)
            return await idem.respond(session, status_code=201, content=InvoiceRead.model_validate(invoice),
                                      headers={"Location": f"/invoices/{invoice.id}"})

The response returned is built from the exact bytes that are stored, so first answer and replays
are identical. If the unit of work is a dependency instead, declare it *before* the idempotency
dependency so its transaction ends before the key is released.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any

import anyio
import pydantic_core
import structlog
from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from o2c_common.auth.dependencies import CurrentPrincipal
from o2c_common.errors.problems import BadRequest, EarlyResponse
from o2c_common.http.idempotency_store import (
    REPLAYED_HEADER,
    Claim,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    IdempotencyStore,
    StoredResponse,
    storable_headers,
)

log = structlog.get_logger("o2c.idempotency")

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
STORE_STATE_ATTR = "idempotency"
MAX_KEY_LENGTH = 255

# Module level on purpose: string annotations inside a closure could not be resolved by FastAPI.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        max_length=MAX_KEY_LENGTH + 2,
        json_schema_extra={"pattern": f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"},  # what normalise_key accepts (400 else)
        description=(
            "A client-chosen unique key (e.g. a uuid4) making this POST safe to retry: same key and "
            "body → the original response is replayed; same key, other body → 422; still running → 409."
        ),
    ),
]

__all__ = [
    "IDEMPOTENCY_KEY_HEADER",
    "REPLAYED_HEADER",
    "Idempotency",
    "IdempotencyKeyInProgress",
    "IdempotencyKeyReused",
    "IdempotencyStore",
    "StoredResponse",
    "idempotency",
    "normalise_key",
    "request_fingerprint",
]


def normalise_key(raw: str) -> str:
    """The key from the header (a bare token or an RFC 8941 quoted string); 400 when unusable."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not all(0x20 < ord(ch) < 0x7F for ch in key):
        raise BadRequest(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters",
            type="invalid-idempotency-key",
            title="Invalid Idempotency-Key",
        )
    return key


def request_fingerprint(*, method: str, path: str, query: str, body: bytes) -> str:
    """sha256 of method, path, query and the body (canonical JSON when the body is JSON)."""
    canonical = body
    if body:
        try:
            canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        except (ValueError, UnicodeDecodeError):
            canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _encode(content: Any, media_type: str | None) -> bytes:
    if content is None:
        return b""
    if isinstance(content, bytes):
        return content
    if isinstance(content, str) and media_type is not None and not media_type.endswith("json"):
        return content.encode()
    return pydantic_core.to_json(content, by_alias=True)


class Idempotency:
    """This request's idempotency context; build the response with :meth:`respond`."""

    def __init__(self, *, store: IdempotencyStore | None = None, claim: Claim | None = None) -> None:
        self._store = store
        self._claim = claim
        self.completed = False

    @property
    def key(self) -> str | None:
        return self._claim.key if self._claim is not None else None

    async def respond(
        self,
        session: AsyncSession | None,
        *,
        status_code: int = 200,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = "application/json",
    ) -> Response:
        """The HTTP response, stored for the key in ``session``'s transaction (own one if ``None``).

        ``content`` is a pydantic model, plain data (serialised as JSON, Decimals as strings) or bytes.
        """
        if self.completed:
            raise RuntimeError("respond() may be called once per request")
        body = _encode(content, media_type)
        response = Response(
            content=body, status_code=status_code, headers=dict(headers or {}), media_type=media_type if body else None
        )
        if self._claim is not None and self._store is not None:
            stored = StoredResponse(status=status_code, headers=storable_headers(response.headers), body=body)
            if session is not None:
                await self._store.complete(session, claim=self._claim, response=stored)
            else:
                async with self._store.database.unit_of_work() as own:
                    await self._store.complete(own, claim=self._claim, response=stored)
        self.completed = True
        return response


def _store_of(request: Request) -> IdempotencyStore:
    store = getattr(request.app.state, STORE_STATE_ATTR, None)
    if not isinstance(store, IdempotencyStore):
        raise RuntimeError(f"app.state.{STORE_STATE_ATTR} is not set: build an IdempotencyStore in the lifespan")
    return store


def idempotency(*, required: bool = False) -> Callable[..., AsyncIterator[Idempotency]]:
    """The dependency giving a route its :class:`Idempotency` context (see the module docstring)."""

    async def dependency(
        request: Request,
        principal: CurrentPrincipal,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> AsyncIterator[Idempotency]:
        if idempotency_key is None:
            if required:
                raise BadRequest(
                    "this request requires an Idempotency-Key header",
                    type="idempotency-key-missing",
                    title="Idempotency-Key missing",
                )
            yield Idempotency()
            return
        key = normalise_key(idempotency_key)
        store = _store_of(request)
        fingerprint = request_fingerprint(
            method=request.method, path=request.url.path, query=request.url.query, body=await request.body()
        )
        outcome = await store.claim(
            principal=principal.subject,
            key=key,
            method=request.method,
            path=request.url.path,
            request_hash=fingerprint,
        )
        if isinstance(outcome, StoredResponse):
            raise EarlyResponse(outcome.to_response(replayed=True))
        context = Idempotency(store=store, claim=outcome)
        succeeded = False
        try:
            yield context
            succeeded = True
        finally:
            if not (succeeded and context.completed):
                if succeeded:
                    log.warning("idempotency_response_not_recorded", key=key, path=request.url.path)
                with anyio.CancelScope(shield=True):
                    await store.release(outcome)

    return dependency


IdempotencyDep = Annotated[Idempotency, Depends(idempotency())]
"""Optional Idempotency-Key on a POST that creates something (declare it after the SessionDep)."""
