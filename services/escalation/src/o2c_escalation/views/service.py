"""Read-only views over the cases the caller may see."""

from __future__ import annotations

from o2c_common.errors import Forbidden
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_escalation.cases.repository import visible_to
from o2c_escalation.cases.schemas import CaseRead
from o2c_escalation.permissions import manages_cases
from o2c_escalation.views import repository
from o2c_escalation.views.schemas import AGING_BUCKETS, AgingReport, AgingRow, CountBy, CountReport, CountRow


async def my_cases(tx: Tx, *, page: PageRequest) -> Page[CaseRead]:
    """Not-closed cases assigned to me or raised by me, newest first."""
    return await repository.mine(tx.session, subject=tx.actor.subject, page=page)


async def team_queue(tx: Tx, *, team: str | None, page: PageRequest) -> Page[CaseRead]:
    """A team's open cases, most severe first, then oldest first. Agents see their own team's queue only."""
    principal = tx.actor
    if not manages_cases(principal):
        if principal.team is None or (team is not None and team != principal.team):
            raise Forbidden("agents see their own team's queue only", type="team-access-denied",
                            title="Team access denied")
        team = principal.team
    return await repository.queue(tx.session, team=team, page=page)


async def breached(tx: Tx, *, page: PageRequest) -> Page[CaseRead]:
    """Open cases that missed at least one SLA target."""
    return await repository.breached(tx.session, principal=tx.actor, page=page)


async def aging(tx: Tx) -> AgingReport:
    now = tx.now()
    rows: dict[str, dict[str, int]] = {}
    for severity, bucket, count in await repository.aging(tx.session, visible=visible_to(tx.actor), now=now):
        rows.setdefault(severity, dict.fromkeys(AGING_BUCKETS, 0))[bucket] = count
    return AgingReport(as_of=now, rows=[AgingRow(severity=s, buckets=b, total=sum(b.values()))
                                        for s, b in sorted(rows.items())])


async def counts(tx: Tx, *, by: CountBy, open_only: bool) -> CountReport:
    rows = await repository.counts(tx.session, by=by, visible=visible_to(tx.actor), open_only=open_only)
    return CountReport(by=by, rows=[CountRow(key=k, count=n) for k, n in rows])
