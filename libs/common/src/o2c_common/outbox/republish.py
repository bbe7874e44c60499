"""Publishing stored events again after the broker lost them (`o2c outbox republish`).

The outbox keeps published rows for ``outbox_retention_days``. Republishing marks the rows created since a
moment as unpublished again; the service's running relay then publishes them in their original order per
aggregate, exactly as the first time. Consumers record every event id in their inbox, so an event they had
already applied is skipped: republishing too much is harmless, republishing too little loses events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_COUNT = text("SELECT count(*) FILTER (WHERE published_at IS NOT NULL), min(created_at) FROM outbox "
              "WHERE created_at >= :since")
_MARK = text("UPDATE outbox SET published_at = NULL WHERE created_at >= :since AND published_at IS NOT NULL")
_OLDEST_KEPT = text("SELECT min(created_at) FROM outbox")


async def republish_since(conn: AsyncConnection, since: datetime, *, dry_run: bool = False) -> int:
    """Mark every published row created at or after ``since`` for publishing again; the number of rows."""
    if dry_run:
        count, _ = (await conn.execute(_COUNT, {"since": since})).one()
        return int(count or 0)
    result = await conn.execute(_MARK, {"since": since})
    return int(result.rowcount or 0)


async def oldest_kept(conn: AsyncConnection) -> datetime | None:
    """When the oldest row still in the outbox was written (older ones were purged by retention)."""
    value = (await conn.execute(_OLDEST_KEPT)).scalar()
    return value if isinstance(value, datetime) else None
