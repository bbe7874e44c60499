"""The audit trail's hash chain: every committed ``audit_log`` row gets one link in ``audit_chain``.

A link is ``(seq, audit_id, prev_hash, row_hash)`` with ``row_hash = sha256(prev_hash | canonical(row))``: the
first link's ``prev_hash`` is 64 zeros, ``seq`` counts 1, 2, 3 … with no gap. Changing, deleting or inserting a
row anywhere but at the end breaks the link there, which :mod:`o2c_common.audit.verify` finds.

The links are written by the database, not by the services: a deferred constraint trigger on ``audit_log`` runs at
COMMIT of the writing transaction, takes one transaction-scoped advisory lock (so concurrent writers are chained
one transaction after the other, in commit order; held only from COMMIT on, it cannot deadlock with the row
locks of the work itself) and reads the head again under the lock.

Since :data:`LINK_BY_WRITER` (each service's migration after its chain's), the first link of a commit links every
row of that row's writer (the (sub)transaction that inserted it, ``xmin``) in one statement, in id order, and the
later links of those rows find themselves done: a bulk path's thousands of rows no longer lock, read the head and
insert one by one. Rows of another transaction are never linked by it (one written with the trigger disabled stays
unchained, as verify reports). The function is SECURITY DEFINER, owned by
the migration (owner) role: the service role needs no right on ``audit_chain`` but SELECT. Every INSERT path
(``record_audit``, bulk statements, hand-written SQL) is chained alike.

The canonical text of a row is the ``|``-joined list of its fields, each written ``<length>:<text>`` or ``-``
for NULL: seq, id, occurred_at (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), actor, action, entity_type, entity_id,
reason, before and after (PostgreSQL's jsonb text, which is canonical: sorted keys, fixed spacing) and
correlation_id. :func:`canonical_text` is the same in Python, for the verification.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op

GENESIS_HASH = "0" * 64
LOCK_CLASS, LOCK_ID = 0x02C7, 1  # pg_advisory_xact_lock(int, int): apart from the outbox relay's 0x02C0/0x02C1

_PART = "coalesce(length({v})::text || ':' || {v}, '-')"
_FIELDS = (
    "seq::text", "r.id::text", "to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    "r.actor", "r.action", "r.entity_type", "r.entity_id", "r.reason", "r.before::text", "r.after::text",
    "r.correlation_id",
)
_CANONICAL = " || '|' || ".join(_PART.format(v=f"({f})") for f in _FIELDS)

INSTALL = [
    """CREATE TABLE audit_chain (
  seq bigint PRIMARY KEY,
  audit_id bigint NOT NULL UNIQUE,
  prev_hash text NOT NULL,
  row_hash text NOT NULL,
  chained_at timestamptz NOT NULL DEFAULT now()
)""",
    f"""CREATE OR REPLACE FUNCTION o2c_audit_canonical(seq bigint, r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT {_CANONICAL} $$""",
    f"""CREATE OR REPLACE FUNCTION o2c_audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head_seq bigint;
  head_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {LOCK_ID});
  SELECT seq, row_hash INTO head_seq, head_hash FROM audit_chain ORDER BY seq DESC LIMIT 1;
  head_seq := coalesce(head_seq, 0) + 1;
  head_hash := coalesce(head_hash, '{GENESIS_HASH}');
  INSERT INTO audit_chain (seq, audit_id, prev_hash, row_hash)
  VALUES (head_seq, NEW.id, head_hash,
          encode(sha256(convert_to(head_hash || '|' || o2c_audit_canonical(head_seq, NEW), 'UTF8')), 'hex'));
  RETURN NULL;
END $$""",  # noqa: S608 - constants of this module only
    # Rows written before the chain existed are linked now, in id order.
    """DO $$
DECLARE r audit_log; n bigint := 0; h text := '""" + GENESIS_HASH + """';
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    n := n + 1;
    INSERT INTO audit_chain (seq, audit_id, prev_hash, row_hash)
    VALUES (n, r.id, h, encode(sha256(convert_to(h || '|' || o2c_audit_canonical(n, r), 'UTF8')), 'hex'))
    RETURNING row_hash INTO h;
  END LOOP;
END $$""",  # noqa: S608 - constants of this module only
    """CREATE CONSTRAINT TRIGGER audit_log_chain AFTER INSERT ON audit_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION o2c_audit_chain_link()""",
    """CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION o2c_refuse_change()""",
    """CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION o2c_refuse_change()""",
]

# the link function since each service's migration after its chain's: one statement per writer of a commit. Its
# statements are planned without sequential scans: on a young audit_log without statistics the planner read the
# whole table for `id >= NEW.id` (0.29 ms against 0.035 ms by the primary key at 3,000 rows, growing with the table)
LINK_BY_WRITER = f"""CREATE OR REPLACE FUNCTION o2c_audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET enable_seqscan = off AS $$
DECLARE
  writer xid;
  linked boolean;
  head_seq bigint;
  head_hash text;
  r audit_log;
  seqs bigint[] := '{{}}';
  ids bigint[] := '{{}}';
  prevs text[] := '{{}}';
  hashes text[] := '{{}}';
BEGIN
  -- this row's writer: rows of another transaction (one written with the trigger disabled) are never linked here
  SELECT a.xmin, EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id) INTO writer, linked
    FROM audit_log a WHERE a.id = NEW.id;
  IF linked THEN
    RETURN NULL;  -- linked with its writer's rows by the first of them
  END IF;
  PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {LOCK_ID});
  SELECT seq, row_hash INTO head_seq, head_hash FROM audit_chain ORDER BY seq DESC LIMIT 1;
  head_seq := coalesce(head_seq, 0);
  head_hash := coalesce(head_hash, '{GENESIS_HASH}');
  FOR r IN SELECT a.* FROM audit_log a WHERE a.id >= NEW.id AND a.xmin = writer
           AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id) ORDER BY a.id LOOP
    head_seq := head_seq + 1;
    seqs := seqs || head_seq;
    ids := ids || r.id;
    prevs := prevs || head_hash;
    head_hash := encode(sha256(convert_to(head_hash || '|' || o2c_audit_canonical(head_seq, r), 'UTF8')), 'hex');
    hashes := hashes || head_hash;
  END LOOP;
  INSERT INTO audit_chain (seq, audit_id, prev_hash, row_hash) SELECT * FROM unnest(seqs, ids, prevs, hashes);
  RETURN NULL;
END $$"""  # noqa: S608 - constants of this module only
LINK_BY_ROW = INSTALL[2]  # the link function of the chain's own migration: one row at a time

UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_log_chain ON audit_log",
    "DROP TABLE IF EXISTS audit_chain",
    "DROP FUNCTION IF EXISTS o2c_audit_chain_link()",
    "DROP FUNCTION IF EXISTS o2c_audit_canonical(bigint, audit_log)",
]


def install_audit_chain() -> None:
    """Migration step: the chain table, its trigger and functions, and links for the rows already there."""
    for statement in INSTALL:
        op.execute(statement)


def uninstall_audit_chain() -> None:
    for statement in UNINSTALL:
        op.execute(statement)


def link_by_writer() -> None:
    """Migration step: links written one statement per writer of a commit (:data:`LINK_BY_WRITER`)."""
    op.execute(LINK_BY_WRITER)


def link_by_row() -> None:
    op.execute(LINK_BY_ROW)


def canonical_text(seq: int, fields: Sequence[object]) -> str:
    """The canonical text of one row (as the database builds it); ``fields`` in the documented order after seq,
    with ``occurred_at`` a datetime and before/after the jsonb text PostgreSQL returns for them."""
    parts = []
    for value in (seq, *fields):
        if value is None:
            parts.append("-")
            continue
        if isinstance(value, datetime):
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        text = str(value)
        parts.append(f"{len(text)}:{text}")
    return "|".join(parts)


def link_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()
