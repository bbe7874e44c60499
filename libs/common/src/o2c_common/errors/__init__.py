"""RFC 9457 problem+json errors: domain errors carrying their HTTP status, and the app handlers.

Names are imported on first use (PEP 562): a light command (``o2c token``) that needs one of them does not pay for
FastAPI and SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from o2c_common.errors.handlers import (
        ProblemResponse,
        UnhandledErrorMiddleware,
        install_problem_handlers,
        json_pointer,
        problem_body,
        problem_response,
        validation_error_items,
    )
    from o2c_common.errors.problems import (
        PROBLEM_BASE_URI,
        PROBLEM_MEDIA_TYPE,
        BadRequest,
        Conflict,
        DomainError,
        EarlyResponse,
        FieldProblem,
        Forbidden,
        NotFound,
        PreconditionFailed,
        PreconditionRequired,
        ProblemDetail,
        Unauthorized,
        UnprocessableEntity,
        ValidationFailed,
        problem_responses,
        problem_type_uri,
    )

_EXPORTS = {
    "ProblemResponse": "o2c_common.errors.handlers",
    "UnhandledErrorMiddleware": "o2c_common.errors.handlers",
    "install_problem_handlers": "o2c_common.errors.handlers",
    "json_pointer": "o2c_common.errors.handlers",
    "problem_body": "o2c_common.errors.handlers",
    "problem_response": "o2c_common.errors.handlers",
    "validation_error_items": "o2c_common.errors.handlers",
    "PROBLEM_BASE_URI": "o2c_common.errors.problems",
    "PROBLEM_MEDIA_TYPE": "o2c_common.errors.problems",
    "BadRequest": "o2c_common.errors.problems",
    "Conflict": "o2c_common.errors.problems",
    "DomainError": "o2c_common.errors.problems",
    "EarlyResponse": "o2c_common.errors.problems",
    "FieldProblem": "o2c_common.errors.problems",
    "Forbidden": "o2c_common.errors.problems",
    "NotFound": "o2c_common.errors.problems",
    "PreconditionFailed": "o2c_common.errors.problems",
    "PreconditionRequired": "o2c_common.errors.problems",
    "ProblemDetail": "o2c_common.errors.problems",
    "Unauthorized": "o2c_common.errors.problems",
    "UnprocessableEntity": "o2c_common.errors.problems",
    "ValidationFailed": "o2c_common.errors.problems",
    "problem_responses": "o2c_common.errors.problems",
    "problem_type_uri": "o2c_common.errors.problems",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "PROBLEM_BASE_URI",
    "PROBLEM_MEDIA_TYPE",
    "BadRequest",
    "Conflict",
    "DomainError",
    "EarlyResponse",
    "FieldProblem",
    "Forbidden",
    "NotFound",
    "PreconditionFailed",
    "PreconditionRequired",
    "ProblemDetail",
    "ProblemResponse",
    "Unauthorized",
    "UnhandledErrorMiddleware",
    "UnprocessableEntity",
    "ValidationFailed",
    "install_problem_handlers",
    "json_pointer",
    "problem_body",
    "problem_response",
    "problem_responses",
    "problem_type_uri",
    "validation_error_items",
]
