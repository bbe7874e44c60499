"""Work items from other services' events: arrivals and completions per queue (process), with handling times."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from o2c_common.text import measure
from o2c_common.tx import Tx
from o2c_workforce.processes import LABELS, Process
from o2c_workforce.work import repository
from o2c_workforce.work.models import WorkItem
from o2c_workforce.work.schemas import AgentDay, QueueBacklog


@dataclass(frozen=True)
class Completion:
    process: Process
    item_key: str
    agent: str | None
    team: str | None
    at: datetime
    handling_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """Work that arrived in a process's queue: the item, the team it belongs to, when."""

    process: Process
    item_key: str
    team: str | None
    at: datetime


async def arrived(tx: Tx, *, process: Process, item_key: str, team: str | None, at: datetime) -> None:
    await arrived_many(tx, [Arrival(process, item_key, team, at)])


async def arrived_many(tx: Tx, arrivals: Sequence[Arrival]) -> None:
    """Every arrival in one round trip (a consumer's partition batch)."""
    await repository.arrive(tx.session, [{"process": a.process.value, "item_key": a.item_key, "owning_team": a.team,
                                          "arrived_at": a.at} for a in arrivals])


async def completed(tx: Tx, done: Sequence[Completion]) -> list[tuple[Completion, WorkItem]]:
    """The items completed now, each with its completion (an item's first in ``done``); an item completed before (a
    replayed fact) is left out: nothing more to derive from it."""
    first: dict[tuple[str, str], Completion] = {}
    for one in done:
        first.setdefault((one.process.value, one.item_key), one)
    items = await repository.complete(tx.session, [
        {"process": one.process.value, "item_key": one.item_key, "agent": one.agent, "owning_team": one.team,
         "completed_at": one.at, "handling_minutes": one.handling_minutes} for one in first.values()])
    return [(first[(item.process, item.item_key)], item) for item in items]


async def portal_verdict(tx: Tx, *, invoice_id: uuid.UUID, accepted: bool, reason: str | None, at: datetime) -> None:
    """The first submission's verdict (the first one heard wins): attributed to the preparer by quality."""
    await repository.portal_outcome(tx.session, invoice_id=invoice_id, accepted=accepted, reason=reason, at=at)


async def productivity(tx: Tx, *, team: str | None, since: datetime, until: datetime) -> list[AgentDay]:
    """Items completed per agent, day and process, with the average handling time."""
    rows = await repository.per_agent_day(tx.session, team=team, since=since, until=until)
    return [AgentDay(agent=agent, day=day, process=process, items=items, average_handling_minutes=_two(avg),
                     average_handling_text=measure(_two(avg), "minutes")) for agent, day, process, items, avg in rows]


async def backlog(tx: Tx, *, team: str | None) -> list[QueueBacklog]:
    now = tx.now()
    result = []
    for process, owner, items, oldest in await repository.backlog(tx.session, team=team):
        hours = _two(Decimal((now - oldest).total_seconds()) / 3600)
        result.append(QueueBacklog(process=process, process_name=LABELS[Process(process)], team=owner,
                                   open_items=items, oldest_arrival=oldest, oldest_age_hours=hours or Decimal(0),
                                   oldest_age_text=measure(hours, "hours")))
    return result


def _two(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
