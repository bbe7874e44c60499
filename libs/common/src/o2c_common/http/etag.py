"""ETags from entity versions, and the If-Match precondition on state transitions.

Reads return ``ETag: "<id>:<version>"``; a state transition (approve, submit, cancel …) requires
``If-Match`` with the tag the client last saw::

    @router.post("/invoices/{invoice_id}/approve")
    async def approve(invoice_id: UUID, request: Request, response: Response, ...) -> InvoiceRead:
        invoice = await repository.get_for_update(session=session, invoice_id=invoice_id)
        require_if_match(request, current_etag=make_etag(entity_id=invoice.id, version=invoice.version))
        ...  # change state, bump version
        set_etag(response, etag=make_etag(entity_id=invoice.id, version=invoice.version))

Missing ``If-Match`` → 428 ``precondition-required``; no listed tag matches → 412
``precondition-failed`` carrying the current ``ETag``. ``If-Match: *`` is refused like a missing header (428): it
would let a client change an entity whatever it last saw, which is what the precondition is there to prevent.
Comparison is strong (RFC 9110 §13.1.1): a weak tag (``W/"…"``) never matches unless
``allow_weak=True``. To close the read-check-write race, load the row ``FOR UPDATE`` (or put the
version in the UPDATE's WHERE clause) in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from o2c_common.audit.jsonable import to_json_safe
from o2c_common.errors.problems import PreconditionFailed, PreconditionRequired

# One entity-tag: optional weakness indicator and a quoted opaque tag (RFC 9110 §8.8.3).
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def make_etag(*, entity_id: Any, version: int | str, weak: bool = False) -> str:
    """``"<id>:<version>"`` (or ``W/"<id>:<version>"``) for an entity with a version counter."""
    tag = f"{entity_id}:{version}"
    if '"' in tag or any(ord(ch) < 0x21 for ch in tag):
        tag = hashlib.sha256(tag.encode()).hexdigest()[:32]
    return f'W/"{tag}"' if weak else f'"{tag}"'


def etag_for_content(content: Any, *, weak: bool = False) -> str:
    """A tag hashing a representation (for resources without a version counter)."""
    canonical = json.dumps(to_json_safe(content), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f'W/"{digest}"' if weak else f'"{digest}"'


def set_etag(response: Response, *, etag: str) -> None:
    response.headers["ETag"] = etag


def parse_entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """``W/"a", "b"`` → ``[(True, "a"), (False, "b")]``; ``None`` when the header is malformed."""
    tags: list[tuple[bool, str]] = []
    position = 0
    text = header.strip()
    while position < len(text):
        match = _ENTITY_TAG.match(text, position)
        if match is None:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        position = match.end()
    return tags or None


def if_match_satisfied(header: str, *, current_etag: str, allow_weak: bool = False) -> bool:
    """True when ``header`` lists the current tag (``*`` never does: a transition needs the tag the client read)."""
    current = parse_entity_tags(current_etag)
    listed = parse_entity_tags(header)
    if current is None or listed is None:
        return False
    current_weak, current_tag = current[0]
    if current_weak and not allow_weak:
        return False
    return any(tag == current_tag and (allow_weak or not weak) for weak, tag in listed)


def require_if_match(request: Request, *, current_etag: str, allow_weak: bool = False) -> None:
    """428 when ``If-Match`` is missing; 412 (with the current ``ETag`` header) when it is stale."""
    header = request.headers.get("if-match")
    if header is None or not header.strip():
        raise PreconditionRequired(
            "this state transition requires an If-Match header with the entity's current ETag",
            extensions={"required_header": "If-Match"},
        )
    if header.strip() == "*":
        raise PreconditionRequired(
            "If-Match: * is not accepted on a state transition: send the entity's current ETag as last read",
            type="if-match-wildcard-refused", extensions={"required_header": "If-Match"},
        )
    if not if_match_satisfied(header, current_etag=current_etag, allow_weak=allow_weak):
        raise PreconditionFailed(
            "the entity changed since it was read (If-Match does not match its current ETag)",
            extensions={"current_etag": current_etag},
            headers={"ETag": current_etag},
        )


Precondition = Callable[[str], None]
"""Called by a service with the entity's current ETag once it holds the row lock (428 missing, 412 stale)."""


async def if_match(request: Request) -> Precondition:
    """The request's If-Match as a check a service runs at the right moment (after locking the row)."""

    def check(current_etag: str) -> None:
        require_if_match(request, current_etag=current_etag)

    return check


IfMatchDep = Annotated[Precondition, Depends(if_match)]
