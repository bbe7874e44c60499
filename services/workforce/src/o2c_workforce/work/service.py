"""Work items from other services' events: arrivals and completions per queue (process), with handling times."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from o2c_common.tx import Tx
from o2c_workforce.processes import Process
from o2c_workforce.work import repository
from o2c_workforce.work.models import WorkItem


@dataclass(frozen=True)
class Completion:
    process: Process
    item_key: str
    agent: str | None
    team: str | None
    at: datetime
    handling_minutes: int | None = None


async def arrived(tx: Tx, *, process: Process, item_key: str, team: str | None, at: datetime) -> None:
    await repository.arrive(tx.session, process=process, item_key=item_key, team=team, at=at)


async def completed(tx: Tx, done: Completion) -> WorkItem | None:
    """The completed item, or None when this completion was recorded before (nothing more to derive)."""
    return await repository.complete(tx.session, {
        "process": done.process.value, "item_key": done.item_key, "agent": done.agent, "owning_team": done.team,
        "completed_at": done.at, "handling_minutes": done.handling_minutes})


async def portal_verdict(tx: Tx, *, invoice_id: uuid.UUID, accepted: bool, reason: str | None, at: datetime) -> None:
    """The first submission's verdict (the first one heard wins): attributed to the preparer by quality."""
    await repository.portal_outcome(tx.session, invoice_id=invoice_id, accepted=accepted, reason=reason, at=at)
