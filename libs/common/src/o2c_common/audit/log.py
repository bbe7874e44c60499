"""The append-only audit trail: who did what to which entity, when and why.

:func:`record_audit` inserts into ``audit_log`` inside the caller's transaction (it executes, it never
commits), so the entry exists exactly when the state change it describes does. The table refuses
UPDATE, DELETE and TRUNCATE (a trigger created by the plumbing migration).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit.jsonable import audit_snapshot
from o2c_common.auth.principal import Principal
from o2c_common.db.bulk import insert_rows
from o2c_common.db.plumbing import audit_log_table
from o2c_common.observability.correlation import get_correlation_id

DEFAULT_TRAIL_LIMIT = 200
MAX_TRAIL_LIMIT = 1000


class AuditEntry(BaseModel):
    """One audit row, as read back (also usable as an API response schema)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    reason: str | None = None
    before: Any = None
    after: Any = None
    correlation_id: str | None = None


async def record_audit(
    session: AsyncSession,
    *,
    actor: str | Principal,
    action: str,
    entity_type: str,
    entity_id: Any,
    reason: str | None = None,
    before: Any = None,
    after: Any = None,
    correlation_id: str | None = None,
) -> int:
    """Append one audit entry in ``session``'s transaction and return its id (never commits).

    ``actor`` is a principal or a subject string (``system:dunning`` for automated actors);
    ``before``/``after`` are snapshots (models, dicts …) made JSON-safe; ``correlation_id`` defaults
    to the one of the request or event being handled.
    """
    result = await session.execute(_RECORD, {
        "actor": actor.subject if isinstance(actor, Principal) else actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "reason": reason,
        "before": audit_snapshot(before) if before is not None else None,
        "after": audit_snapshot(after) if after is not None else None,
        "correlation_id": correlation_id if correlation_id is not None else get_correlation_id(),
    })
    return int(result.scalar_one())


# Built once, values bound at execution (building ``insert().values(...)`` per entry cost CPU on every audited write).
_RECORD = insert(audit_log_table).returning(audit_log_table.c.id)


def audit_row(*, actor: str | Principal, action: str, entity_type: str, entity_id: Any, reason: str | None = None,
              before: Any = None, after: Any = None, correlation_id: str | None = None) -> dict[str, Any]:
    """An ``audit_log`` row as :func:`record_audit` writes it, for bulk paths that write many with
    :func:`record_audits`."""
    return {"actor": actor.subject if isinstance(actor, Principal) else actor, "action": action,
            "entity_type": entity_type, "entity_id": str(entity_id), "reason": reason,
            "before": audit_snapshot(before) if before is not None else None,
            "after": audit_snapshot(after) if after is not None else None,
            "correlation_id": correlation_id if correlation_id is not None else get_correlation_id()}


async def record_audits(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many :func:`audit_row` rows in the caller's transaction, in their order, in one statement; chained at commit
    like any."""
    await insert_rows(session, audit_log_table, rows)


async def list_audit_trail(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: Any,
    after_id: int | None = None,
    limit: int = DEFAULT_TRAIL_LIMIT,
) -> list[AuditEntry]:
    """The entity's audit entries, oldest first; page with ``after_id`` = the last id received."""
    table = audit_log_table
    statement = (
        select(table)
        .where(table.c.entity_type == entity_type, table.c.entity_id == str(entity_id))
        .order_by(table.c.id)
        .limit(max(1, min(limit, MAX_TRAIL_LIMIT)))
    )
    if after_id is not None:
        statement = statement.where(table.c.id > after_id)
    rows = (await session.execute(statement)).mappings().all()
    return [AuditEntry.model_validate(dict(row)) for row in rows]
