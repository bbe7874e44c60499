"""Rows written set-wise: one ``COPY … FROM STDIN`` (binary) per table and chunk for inserts, one
``UPDATE … FROM unnest(<one array per column>)`` for rows changed by key, and one ``INSERT … SELECT FROM unnest(…)
ON CONFLICT DO NOTHING`` for rows that another writer may have written first.

COPY is PostgreSQL's bulk-load protocol: the driver encodes each row's values in C and the server appends them
without planning or unpacking arrays (docs/performance.md, "Plain inserts by COPY": three quarters of the client CPU
of an ``INSERT … SELECT FROM unnest(…)`` per row, less on the server). A clash with a unique key fails the COPY
(``IntegrityError``): callers that race other writers check first and treat the clash as the race. The ``unnest``
statement's text does not depend on the row count, so SQLAlchemy compiles it once and the driver prepares it once;
a multi-row ``VALUES`` (SQLAlchemy's "insertmanyvalues") renders the batch's SQL again and binds every value of
every row in Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

import asyncpg
from sqlalchemy import JSON, Column, Dialect, Executable, Select, Table, Text, bindparam, cast, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Every row by one COPY, in the order given (the rows share their keys). A column left out gets the database's
    default: one with only a default of the Python side is refused (COPY does not apply it)."""
    if not rows:
        return
    columns = tuple(rows[0])
    _check_defaults(table, columns)
    await copy_records(session, table, columns, _records(table, columns, rows, session.get_bind().dialect))


async def copy_records(session: AsyncSession, table: Table, columns: Sequence[str],
                       records: Sequence[Sequence[Any]]) -> None:
    """``records`` (each the values of ``columns``, in that order, as the driver takes them: JSON as text) appended
    to ``table`` by COPY in the session's transaction, in their order; what the ORM holds is flushed first, as
    any statement would. A database error is raised as SQLAlchemy raises it for a statement; the engine's
    ``before_cursor_execute`` listeners see the COPY as a statement (counts of statements per request include it)."""
    if not records:
        return
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"
    pooled = await session.run_sync(_flushed_connection, statement)
    try:
        await pooled.driver_connection.copy_records_to_table(table.name, schema_name=table.schema,
                                                             columns=list(columns), records=records)
    except asyncpg.PostgresError as error:
        try:
            pooled.dbapi_connection._handle_exception(error)  # the adapter's translation, as for a statement
        except Exception as translated:
            dialect = session.get_bind().dialect
            raise DBAPIError.instance(statement, None, translated, dialect.loaded_dbapi.Error,
                                      dialect=dialect) from error
        raise


def _flushed_connection(session: Session, statement: str) -> Any:
    """The session's connection, flushed, its transaction begun (SQLAlchemy's asyncpg adapter begins at its first
    statement) and ``statement`` announced to the engine's listeners, in one pass through SQLAlchemy's greenlet."""
    session.flush()
    connection = session.connection()
    pooled = connection.connection
    driver: asyncpg.Connection = pooled.driver_connection  # open: the session's
    if not driver.is_in_transaction():
        connection.exec_driver_sql("SELECT 1")
    connection.dispatch.before_cursor_execute(connection, None, statement, None, None, False)
    return pooled


def _records(table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]], dialect: Dialect) -> list[Any]:
    """Each row's values in the order of ``columns``, bind-processed."""
    get = itemgetter(*columns)
    values = get if len(columns) > 1 else lambda row: (get(row),)  # itemgetter of one name answers the value
    encoders = _encoders(table, columns, dialect)
    if not encoders:
        return [values(row) for row in rows]
    records = []
    for row in rows:
        record = list(values(row))
        for n, encode in encoders:
            record[n] = encode(record[n])
        records.append(record)
    return records


@lru_cache(maxsize=128)  # once per shape, as the encoders (a refusal raises, and is not cached)
def _check_defaults(table: Table, columns: tuple[str, ...]) -> None:
    missing = [c.key for c in table.columns if c.key not in columns and c.default is not None
               and c.server_default is None]
    if missing:
        raise ValueError(f"{table.name}: the rows leave out {', '.join(missing)}, whose default only Python knows")


@lru_cache(maxsize=128)
def _encoders(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[tuple[int, Any], ...]:
    """The columns whose values a statement would process before the driver sees them (enum names, JSON
    serialised …), by position, with their processing for this dialect."""
    found = ((n, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for n, name in enumerate(columns))
    return tuple((n, encode) for n, encode in found if encode is not None)


async def update_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *, key: str) -> int:
    """Each row's values set on the row of ``table`` whose ``key`` column equals the row's (the rows share their
    keys), in one statement; the rows updated."""
    if not rows:
        return 0
    columns = tuple(rows[0])
    result = await session.execute(update_statement(table, columns, key), column_arrays(session, table, columns, rows))
    return int(result.rowcount)  # type: ignore[attr-defined]


@lru_cache(maxsize=128)
def update_statement(table: Table, columns: tuple[str, ...], key: str) -> Executable:
    if key not in columns:
        raise ValueError(f"{table.name}: the rows lack their key {key}")
    source = _source(table, columns)
    return (update(table).where(table.c[key] == source.c[key])
            .values({name: _value(table, source, name) for name in columns if name != key}))


async def insert_new_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *,
                          key: str) -> list[Any]:
    """The rows whose ``key`` no stored row holds, inserted (the rows share their keys; a row whose key is taken,
    by an earlier writer or one racing this one, is left alone: ``ON CONFLICT DO NOTHING``), in ONE statement whose
    text does not depend on the number of rows; the keys inserted."""
    if not rows:
        return []
    columns = tuple(rows[0])
    result = await session.execute(insert_new_statement(table, columns, key),
                                   column_arrays(session, table, columns, rows))
    return list(result.scalars().all())


@lru_cache(maxsize=128)
def insert_new_statement(table: Table, columns: tuple[str, ...], key: str) -> Executable:
    if key not in columns:
        raise ValueError(f"{table.name}: the rows lack their key {key}")
    return (insert(table).from_select(list(columns), rows_select(table, columns))
            .on_conflict_do_nothing(index_elements=[table.c[key]]).returning(table.c[key]))


def rows_select(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    """The rows as a SELECT over one array per column (the parameters :func:`column_arrays` gives): the source of an
    ``INSERT … SELECT`` whose conflict clause is the caller's. Its text does not depend on the number of rows."""
    source = _source(table, columns)
    return select(*(_value(table, source, name) for name in columns))


def column_arrays(session: AsyncSession, table: Table, columns: tuple[str, ...],
                  rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """One array per column of ``rows`` (each holding ``columns``): the parameters of :func:`rows_select` and of the
    bulk statements here."""
    arrays = {c: [row[c] for row in rows] for c in columns}
    for name, serialize in _json_serializers(table, columns, session.get_bind().dialect):
        arrays[name] = [serialize(value) for value in arrays[name]]
    return {f"_{name}": values for name, values in arrays.items()}


def _source(table: Table, columns: tuple[str, ...]) -> Any:
    """The rows as a derived table of the column arrays (parameters ``_<column>``: an UPDATE keeps the columns'
    own names for its SET clause)."""
    arrays = [bindparam(f"_{name}", type_=ARRAY(Text if _is_json(table.c[name]) else table.c[name].type))
              for name in columns]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name="source")


def _value(table: Table, source: Any, name: str) -> Any:
    return cast(source.c[name], table.c[name].type) if _is_json(table.c[name]) else source.c[name]


def _is_json(column: Column[Any]) -> bool:
    """JSON values travel as text: an array parameter would read a JSON list as one more dimension."""
    return isinstance(column.type, JSON)


@lru_cache(maxsize=128)
def _json_serializers(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[tuple[str, Any]]:
    """Each JSON column's own bind processing (the engine's serializer, its handling of None)."""
    found = []
    for name in columns:
        if _is_json(table.c[name]):
            processor = table.c[name].type.bind_processor(dialect)
            found.append((name, processor if processor is not None else json.dumps))
    return found
