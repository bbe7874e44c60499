"""Rows passed to PostgreSQL as one JSON parameter, ``[[v0, v1, …], …]``, and read back as a relation with a cast
per column: for statements that take a batch's rows and need more than COPY allows (``ON CONFLICT``, joins, CTEs).

One array parameter per column (``unnest``) makes the driver encode every element in turn, with an ABC check of
each; pydantic-core writes the whole batch in one call (UUIDs, dates, instants and decimals as their canonical
text, so decimals stay exact), and PostgreSQL reads a ``jsonb`` array's elements by position. Measured on 500 rows
of nine columns: 3.1 µs of the client's CPU per row with arrays, 1.5 with JSON, and less of PostgreSQL's
(docs/performance.md, "Batches as JSON rows").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pydantic_core

Columns = Sequence[tuple[str, str]]
"""(name, SQL type) of each position of a row."""


def json_rows(rows: Iterable[Sequence[Any]]) -> str:
    """The parameter: each row's values in the order of its :data:`Columns`. Pass plain values (an enum's value,
    not the member: pydantic-core takes a slow path for enum members)."""
    return pydantic_core.to_json(rows if isinstance(rows, list) else list(rows)).decode()


def rows_of(param: str, columns: Columns) -> str:
    """SQL: the rows of the JSON parameter ``:param`` as a derived table (alias it) with ``columns`` named and
    typed. A JSON ``null`` reads as NULL."""
    fields = ", ".join(f"CAST(r ->> {i} AS {sql_type}) AS {name}" for i, (name, sql_type) in enumerate(columns))
    return f"(SELECT {fields} FROM jsonb_array_elements(CAST(CAST(:{param} AS text) AS jsonb)) AS r)"  # noqa: S608 - the caller's names
