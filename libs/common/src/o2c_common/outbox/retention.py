"""Outbox and inbox retention: the purge job every service runs beside its relay and consumers.

* ``outbox`` rows are kept ``outbox_retention_days`` after they were published, so that ``o2c outbox republish
  --since T`` can send them again after a broker lost its data; unpublished rows are never purged.
* ``inbox`` rows (``processed``) are kept ``inbox_retention_days``: a record redelivered after its row is gone
  would be applied again, so the inbox must outlive every way an old record can come back (the broker's own
  retention, a republish window). Dead-lettered inbox rows and the ``dead_letters`` table are kept.

Each purge deletes in bounded batches (set-based, no long lock); the step returns how many rows it deleted, and
:class:`o2c_common.periodic.PeriodicTasks` runs it again at once while there is more.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from o2c_common.db.database import Database

PURGE_BATCH = 5000

_PURGE_OUTBOX = text(
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL "
    "AND published_at < now() - make_interval(days => :days) ORDER BY id LIMIT :batch)")
_PURGE_INBOX = text(
    "DELETE FROM inbox WHERE (consumer, event_id) IN (SELECT consumer, event_id FROM inbox "
    "WHERE status = 'processed' AND received_at < now() - make_interval(days => :days) LIMIT :batch)")


@dataclass(frozen=True)
class Retention:
    outbox_days: int
    inbox_days: int


async def purge_once(db: Database, retention: Retention, *, batch: int = PURGE_BATCH) -> int:
    """One batch of each table; the number of rows deleted."""
    async with db.unit_of_work() as session:
        outbox = await session.execute(_PURGE_OUTBOX, {"days": retention.outbox_days, "batch": batch})
        inbox = await session.execute(_PURGE_INBOX, {"days": retention.inbox_days, "batch": batch})
    return int(outbox.rowcount or 0) + int(inbox.rowcount or 0)  # type: ignore[attr-defined]
