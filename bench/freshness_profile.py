"""Where each invoice's freshness went (``bench.freshness``): its timestamps along the path, read from the databases'
own clocks once the load is over: the API's commit, invoicing's relay, collections' consumer and its
``receivable.changed``, kpi's consumer and commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import asyncpg

from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack
from o2c_common.db.database import asyncpg_dsn
from o2c_common.events.bundle import row_events


class Timed(Protocol):
    """A sample of the load (``bench.freshness.Sample``): its invoice, its times so far and where they go."""

    invoice_id: uuid.UUID | None
    target: float
    send: float
    seen: float
    t: dict[str, float]


# The issuing transaction's commit time is read from its status-history row (insert-only): the invoice row itself is
# updated again later (the settlement mirrored from collections' receivable.changed), which moves its xmin. Only the
# transition into issued: the mirror's own rows say issued → issued.
_INVOICING = """
SELECT i.id, extract(epoch FROM pg_xact_commit_timestamp(h.xmin))::float8,
       extract(epoch FROM o.created_at)::float8, extract(epoch FROM o.published_at)::float8, o.event_id
FROM invoices i JOIN outbox o ON o.key = i.id::text AND o.event_type = 'o2c.invoice.issued.v1'
JOIN invoice_status_changes h ON h.invoice_id = i.id AND h.to_status = 'issued' AND h.from_status <> 'issued'
WHERE i.id = ANY($1::uuid[])
"""
# collections takes invoice.issued (its inbox row: the start of its consumer's transaction), opens the receivable
# and publishes the ledger's first entry, receivable.changed with sequence 1, which is what kpi's AR reads.
_TAKEN = ("SELECT event_id, extract(epoch FROM received_at)::float8 FROM inbox "
          "WHERE consumer = $2 AND event_id = ANY($1)")
_OPENED = """
SELECT event_type, headers, payload, extract(epoch FROM published_at)::float8 FROM outbox
WHERE event_type = 'o2c.receivable.changed.v1'
"""  # opened in Python: collections opens a batch's receivables in bundles (o2c_common.events.bundle)
_KPI = """
SELECT invoice_id, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8
FROM receivable_movements WHERE invoice_id = ANY($1::uuid[]) AND kind = 'invoice'
"""


def _first_changes(rows: list[asyncpg.Record],
                   wanted: Iterable[uuid.UUID]) -> Iterator[tuple[uuid.UUID, float, uuid.UUID]]:
    """Each wanted receivable's first change (its opening), bundles opened: its invoice, when the relay marked it
    published, and the event's id."""
    keys = {str(i) for i in wanted}
    for event_type, headers, payload, acked in rows:
        for _, member_headers, value in row_events(event_type, json.loads(headers), payload):
            named = dict(json.loads(member_headers))
            if named["ce_subject"] in keys and json.loads(value).get("sequence") == 1:
                yield uuid.UUID(named["ce_subject"]), acked, uuid.UUID(named["ce_id"])


async def profile(stack: Stack, samples: Sequence[Timed]) -> None:
    """Each sample's times along the path (``t``), from the databases."""
    ids = [s.invoice_id for s in samples if s.invoice_id is not None]
    by_id = {s.invoice_id: s for s in samples if s.invoice_id is not None}
    inv, col, kpi = [await asyncpg.connect(asyncpg_dsn(stack.database_url(SERVICES[name])))
                     for name in ("invoicing", "collections", "kpi")]
    try:
        issued: dict[uuid.UUID, uuid.UUID] = {}
        for invoice_id, api_commit, tx_start, acked, event_id in await inv.fetch(_INVOICING, ids):
            by_id[invoice_id].t.update(api_commit=api_commit, tx_start=tx_start, acked=acked)
            issued[event_id] = invoice_id
        for event_id, received in await col.fetch(_TAKEN, list(issued), "collections"):
            by_id[issued[event_id]].t["c_received"] = received
        opened: dict[uuid.UUID, uuid.UUID] = {}
        for invoice_id, acked, event_id in _first_changes(await col.fetch(_OPENED), by_id.keys()):
            by_id[invoice_id].t["c_acked"] = acked
            opened[event_id] = invoice_id
        for event_id, received in await kpi.fetch(_TAKEN, list(opened), "kpi"):
            by_id[opened[event_id]].t["received"] = received
        for invoice_id, kpi_commit in await kpi.fetch(_KPI, ids):
            by_id[invoice_id].t["kpi_commit"] = kpi_commit
    finally:
        for conn in (inv, col, kpi):
            await conn.close()
    for s in samples:
        s.t.update(due=s.target, send=s.send, seen=s.seen)
