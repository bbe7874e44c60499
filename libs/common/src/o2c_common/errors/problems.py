"""Domain errors that carry their HTTP meaning, rendered as RFC 9457 ``application/problem+json``.

Services raise these from service or router code; :func:`o2c_common.errors.install_problem_handlers`
turns them into problem documents. A subclass usually only sets ``status``, ``type`` (a slug, turned into
``https://o2c.dev/problems/<slug>``) and ``title``; ``detail`` is the human explanation of this
occurrence and ``extensions`` are extra members of the problem document::

    class InvoiceNotFound(NotFound):
        type = "invoice-not-found"
        title = "Invoice not found"

    raise InvoiceNotFound(f"invoice {invoice_id} does not exist", extensions={"invoice_id": str(invoice_id)})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

PROBLEM_BASE_URI = "https://o2c.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# Members of the problem document that extensions may not replace.
RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "correlation_id"})


def problem_type_uri(slug: str) -> str:
    """``invoice-not-found`` → ``https://o2c.dev/problems/invoice-not-found`` (absolute URIs pass through)."""
    if "://" in slug or slug == "about:blank":
        return slug
    return PROBLEM_BASE_URI + slug


def slug_for_status(status: int) -> str:
    """``404`` → ``not-found``; unknown codes → ``http-<code>``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"http-{status}"
    return phrase.lower().replace(" ", "-").replace("'", "")


def title_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


class DomainError(Exception):
    """Base of every error a service raises on purpose; maps to one problem document.

    Class attributes give the defaults; each may be overridden per instance by keyword.
    ``headers`` are added to the HTTP response (``WWW-Authenticate``, ``Retry-After``, ``ETag`` …).
    """

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        type: str | None = None,
        title: str | None = None,
        status: int | None = None,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail
        if type is not None:
            self.type = type
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status
        clash = RESERVED_MEMBERS.intersection(extensions or {})
        if clash:
            raise ValueError(f"problem extensions may not replace standard members: {sorted(clash)}")
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(detail or self.title)

    @property
    def type_uri(self) -> str:
        return problem_type_uri(self.type)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, type={self.type!r}, detail={self.detail!r})"


class BadRequest(DomainError):
    status = 400
    type = "bad-request"
    title = "Bad request"


class Unauthorized(DomainError):
    """401. Carries ``WWW-Authenticate: Bearer`` unless other headers are given."""

    status = 401
    type = "unauthorized"
    title = "Authentication required"

    def __init__(
        self,
        detail: str | None = None,
        *,
        error: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if headers is None:
            challenge = 'Bearer realm="o2c"'
            if error:  # RFC 6750 §3: an error code only when credentials were presented
                challenge += f', error="{error}"'
            headers = {"WWW-Authenticate": challenge}
        super().__init__(detail, headers=headers, **kwargs)


class Forbidden(DomainError):
    status = 403
    type = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    type = "precondition-failed"
    title = "Precondition failed"


class UnprocessableEntity(DomainError):
    status = 422
    type = "unprocessable-entity"
    title = "Unprocessable entity"


class PreconditionRequired(DomainError):
    status = 428
    type = "precondition-required"
    title = "Precondition required"


class ValidationFailed(UnprocessableEntity):
    """422 with an ``errors`` member: ``[{"detail": ..., "pointer": "#/lines/0/amount", ...}, ...]``.

    Each error names where the problem is: ``pointer`` (a JSON pointer into the request body, as
    ``#/a/0/b``) or ``parameter`` (a query/path/header parameter name) with its ``location``.
    """

    type = "validation-failed"
    title = "Validation failed"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]],
        extensions: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.errors = [dict(e) for e in errors]
        super().__init__(detail, extensions={**(extensions or {}), "errors": self.errors}, **kwargs)


class EarlyResponse(Exception):
    """Raised (by plumbing such as the idempotency dependency) to answer with a ready response."""

    def __init__(self, response: Response) -> None:
        self.response = response
        super().__init__(f"early response {response.status_code}")


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    detail: str = Field(description="What is wrong with this value.")
    pointer: str | None = Field(None, description="JSON pointer into the request body, e.g. `#/lines/0/amount`.")
    parameter: str | None = Field(None, description="Name of the offending query/path/header parameter.")
    location: str | None = Field(None, description="body | query | path | header | cookie")
    code: str | None = Field(None, description="Machine-readable error code.")


class ProblemDetail(BaseModel):
    """The RFC 9457 problem document every error response carries (for OpenAPI)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://o2c.dev/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(None, examples=["invoice 4f1c… does not exist"])
    instance: str | None = Field(None, examples=["/invoices/4f1c…"])
    correlation_id: str | None = Field(None, examples=["0b6e2f3a-5b1d-4bb4-9a51-3e2c6f1f8d10"])
    errors: list[FieldProblem] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem+json bodies for the given statuses."""
    return {
        status: {
            "model": ProblemDetail,
            "description": title_for_status(status),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
        }
        for status in statuses
    }
