"""Helpers for services' Alembic migrations: the plumbing tables and their triggers."""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

from o2c_common.db.plumbing import dead_letters_table, plumbing_metadata

_TRIGGERS = """
CREATE OR REPLACE FUNCTION o2c_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('o2c_outbox', '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION o2c_outbox_notify();

CREATE OR REPLACE FUNCTION o2c_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION o2c_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION o2c_refuse_change();
"""


def create_plumbing() -> None:
    """Create outbox, inbox, idempotency_keys and audit_log with their triggers (first migration)."""
    create_plumbing_on(op.get_bind())


def create_plumbing_on(connection: Connection) -> None:
    """The same on a plain (sync) connection, e.g. ``await conn.run_sync(create_plumbing_on)``."""
    plumbing_metadata.create_all(connection)
    for statement in _split(_TRIGGERS):
        connection.execute(text(statement))


def create_dead_letters() -> None:
    """The ``dead_letters`` table in a database whose plumbing predates it (no-op where it exists)."""
    plumbing_metadata.create_all(op.get_bind(), tables=[dead_letters_table], checkfirst=True)


def drop_dead_letters() -> None:
    op.execute("DROP TABLE IF EXISTS dead_letters")


def drop_plumbing() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    plumbing_metadata.drop_all(op.get_bind())
    op.execute("DROP FUNCTION IF EXISTS o2c_refuse_change()")
    op.execute("DROP FUNCTION IF EXISTS o2c_outbox_notify()")


def _split(script: str) -> list[str]:
    """Split on blank-line-free statement ends while keeping $$ bodies intact."""
    statements, current, in_body = [], [], False
    for line in script.strip().splitlines():
        current.append(line)
        if line.count("$$") % 2 == 1:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            statements.append("\n".join(current))
            current = []
    return statements
