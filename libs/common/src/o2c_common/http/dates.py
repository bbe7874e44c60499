"""The dates the services compute with: 1900-01-01 to 8999-12-31.

A date near 9999-12-31 overflows the first time a service adds a day or a term to it (Python's ``date.max``), and
PostgreSQL's ``infinity`` is no date at all; so every date a request carries is held to these bounds at the edge
(:mod:`o2c_common.http.edge`, query and JSON body alike), the OpenAPI documents declare them
(:mod:`o2c_common.http.openapi`) and a model may state them with :data:`BoundedDate`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(8999, 12, 31)
DATE_PATTERN = r"^(19\d\d|[2-8]\d\d\d)-\d\d-\d\d$"
DATE_TIME_PATTERN = r"^(19\d\d|[2-8]\d\d\d)-\d\d-\d\d[Tt ]"
BOUNDS_TEXT = f"dates run from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"
# A value that is a date or starts like a timestamp: the year is what the bounds are about.
_DATE_LIKE = re.compile(r"^([+-]?\d{4,})-\d\d-\d\d(?:$|[Tt ])")


def _bounded(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(BOUNDS_TEXT)
    return value


BoundedDate = Annotated[date, AfterValidator(_bounded),
                        WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN})]
"""A ``date`` between :data:`MIN_DATE` and :data:`MAX_DATE` (422 outside)."""


def out_of_bounds(text: str) -> bool:
    """True for a date or timestamp text whose year is outside the bounds (``9999-12-31``, ``0001-01-01``)."""
    found = _DATE_LIKE.match(text)
    return found is not None and not MIN_DATE.year <= int(found.group(1)) <= MAX_DATE.year


def recent_window(first: date | None, last: date | None, *, today: date, days: int = 30) -> tuple[date, date]:
    """The days a report covers when its window is left out, both ends included: ``days`` days up to ``last``,
    which is ``today`` unless given (a report's first call answers for the last month, not a 422)."""
    last = last or today
    return first or last - timedelta(days=days - 1), last
