"""Walk an audit chain and report the first broken link (``o2c audit verify --service <svc>``).

Read-only: the service role's SELECT is enough. Each link's hash is recomputed here, in Python, from the row's
fields (see :mod:`o2c_common.audit.chain`), not by a function in the database that whoever owns it could
replace. What it finds, in chain order:

- ``missing_row``: a link whose audit row is gone (DELETE);
- ``gap``: a seq missing (a link deleted with its row);
- ``prev_mismatch``: a link that does not name the hash of the one before it (links rewritten);
- ``hash_mismatch``: a row whose content no longer gives its link's hash (UPDATE);
- ``unchained``: committed audit rows with no link (the chain trigger dropped or disabled);
- ``anchor_mismatch``: the link at a head recorded earlier (``--anchor SEQ:HASH``) no longer has that hash,
  or no longer exists (the chain rewritten or cut from there on).

Removing rows at the very end leaves a shorter, valid chain: record the head the command prints somewhere the
database owner cannot write, and pass it back as the anchor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c_common.audit.chain import GENESIS_HASH, canonical_text, link_hash

BATCH = 5000

_LINKS = text("""
SELECT c.seq, c.audit_id, c.prev_hash, c.row_hash, a.id, a.occurred_at, a.actor, a.action, a.entity_type,
       a.entity_id, a.reason, a.before::text, a.after::text, a.correlation_id
FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.audit_id
WHERE c.seq > :after ORDER BY c.seq LIMIT :limit
""")
_UNCHAINED = text("""
SELECT count(*), min(a.id) FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)
""")


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    @classmethod
    def parse(cls, value: str) -> Anchor:
        seq, _, digest = value.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ValueError(f"an anchor is SEQ:SHA256-HEX as printed by a verification, not {value!r}")
        return cls(int(seq), digest.lower())


@dataclass(frozen=True)
class ChainReport:
    links: int
    head: Anchor | None
    problem: str | None = None  # missing_row | gap | prev_mismatch | hash_mismatch | unchained | anchor_mismatch
    seq: int | None = None
    audit_id: int | None = None
    detail: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


async def verify_chain(conn: AsyncConnection, *, anchor: Anchor | None = None) -> ChainReport:
    """The whole chain checked from its first link; stops at the first broken one."""
    expected_seq, prev, links, anchor_seen = 1, GENESIS_HASH, 0, anchor is None
    while True:
        rows = (await conn.execute(_LINKS, {"after": expected_seq - 1, "limit": BATCH})).all()
        for row in rows:
            broken = _check(row, expected_seq, prev)
            if broken is not None:
                return ChainReport(links, Anchor(expected_seq - 1, prev) if links else None, *broken)
            if anchor is not None and row.seq == anchor.seq:
                if row.row_hash != anchor.hash:
                    return ChainReport(links, Anchor(expected_seq - 1, prev), "anchor_mismatch", row.seq,
                                       row.audit_id, f"the link at seq {row.seq} no longer has the anchored hash")
                anchor_seen = True
            expected_seq, prev, links = expected_seq + 1, row.row_hash, links + 1
        if len(rows) < BATCH:
            break
    head = Anchor(expected_seq - 1, prev) if links else None
    if not anchor_seen:
        assert anchor is not None
        return ChainReport(links, head, "anchor_mismatch", anchor.seq, None,
                           f"the chain ends at seq {expected_seq - 1}, before the anchor's seq {anchor.seq}")
    count, first = (await conn.execute(_UNCHAINED)).one()
    if count:
        return ChainReport(links, head, "unchained", None, first, f"{count} audit rows have no link, from id {first}")
    return ChainReport(links, head)


def _check(row: Row[Any], expected_seq: int, prev: str) -> tuple[str, int, int | None, str] | None:
    seq, audit_id = row.seq, row.audit_id
    if seq != expected_seq:
        return "gap", expected_seq, None, f"links {expected_seq} to {seq - 1} are missing"
    if row.id is None:
        return "missing_row", seq, audit_id, f"audit row {audit_id} of link {seq} is gone"
    if row.prev_hash != prev:
        return "prev_mismatch", seq, audit_id, f"link {seq} does not follow the hash of link {seq - 1}"
    fields = tuple(row)[4:]
    if link_hash(prev, canonical_text(seq, fields)) != row.row_hash:
        return "hash_mismatch", seq, audit_id, f"audit row {audit_id} (link {seq}) was changed after it was written"
    return None
