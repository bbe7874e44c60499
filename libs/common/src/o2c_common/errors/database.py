"""Database errors a request can provoke, as precise problems: never a 500, never the database's own text.

A constraint the request breaks is the client's problem, whichever code path reached the database first (two
requests racing past a service's own check, a rule only the schema states):

* unique or exclusion violation (SQLSTATE 23505, 23P01) → 409 ``conflict-with-existing`` naming the constraint;
* a row still referenced by others (23503 on delete/update) → 409 ``still-referenced``;
* a reference to a row that does not exist (23503 on insert) → 422 ``unknown-reference``;
* not-null or check violation (23502, 23514) → 422 ``constraint-violated``;
* a value the column cannot hold (class 22: too long, out of range, a NUL byte, a date past 9999) → 422
  ``value-out-of-range``.

Other database errors stay 5xx: they are not the client's. A connection lost in the middle of the request (the
pool hands out no connection it knows to be closed, o2c_common.db.database) → 503 ``database-unavailable``: the
connection is discarded, so the same request may be retried at once; deadlocks and the rest → 500.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError

# (status, slug, title, detail) per SQLSTATE, or per SQLSTATE class for data exceptions (``22``).
_UNIQUE = (409, "conflict-with-existing", "Conflict with an existing record",
           "The request conflicts with a record that already exists ({constraint}).")
_REFERENCED = (409, "still-referenced", "Still referenced",
               "The record is still referenced by other records ({constraint}).")
_UNKNOWN_REFERENCE = (422, "unknown-reference", "Unknown reference",
                      "The request refers to a record that does not exist ({constraint}).")
_CONSTRAINT = (422, "constraint-violated", "Constraint violated",
               "A value of the request breaks a rule of the stored data ({constraint}).")
_DATA = (422, "value-out-of-range", "Value cannot be stored",
         "A value of the request cannot be stored: too long, out of range or with characters not allowed.")
_LOST = (503, "database-unavailable", "Database unavailable",
         "The connection to the database was lost while the request ran; nothing was stored. Retry the request.")
_BY_SQLSTATE = {"23505": _UNIQUE, "23P01": _UNIQUE, "23502": _CONSTRAINT, "23514": _CONSTRAINT}


def sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return str(state) if state else None


def constraint_of(exc: DBAPIError) -> str | None:
    """The name of the constraint ``exc`` reports broken, when the driver says."""
    cause: Any = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(cause, "column_name", None)
    return str(name) if name else None


def classify(exc: DBAPIError) -> tuple[int, str, str, str, str | None] | None:
    """``(status, slug, title, detail, constraint)`` of a client-caused database error (or a lost connection), or
    ``None``."""
    if exc.connection_invalidated:
        return (*_LOST, None)
    state = sqlstate(exc)
    if state is None:
        return None
    constraint = constraint_of(exc)
    if state == "23503":
        message = str(getattr(exc.orig, "__cause__", None) or exc.orig)
        found = _REFERENCED if "still referenced" in message else _UNKNOWN_REFERENCE
    elif state.startswith("22"):
        found = _DATA
    else:
        found = _BY_SQLSTATE.get(state)  # type: ignore[assignment]
    if found is None:
        return None
    status, slug, title, detail = found
    return status, slug, title, detail.format(constraint=constraint or "a database constraint"), constraint
