"""Capacity: arrivals forecast per queue and day, the agents each SLA needs (Erlang C for the desk, workload for
back-office queues) against the agents rostered from the shift calendars, and what-ifs."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from o2c_common.errors import NotFound, ValidationFailed
from o2c_common.events.contracts.workforce import CapacityOutlookPublished, OutlookDay
from o2c_common.text import measure, plain
from o2c_common.tx import Tx
from o2c_workforce.capacity import erlang, forecast, repository
from o2c_workforce.capacity.models import Queue, StaffingModel
from o2c_workforce.capacity.schemas import (
    CapacityPlan,
    DayPlan,
    OutlookPublished,
    OutlookRequest,
    PlanRequest,
    QueueRead,
    QueueWrite,
    SkippedQueue,
)
from o2c_workforce.org import repository as org_repository
from o2c_workforce.org.models import Agent
from o2c_workforce.work import repository as work_repository

TWO = Decimal("0.01")
STATEMENTS = {
    StaffingModel.ERLANG_C: (
        "Erlang C: arrivals spread evenly over the open hours, traffic A = arrivals per minute x handling minutes; "
        "agents working = the fewest N > A with 1 - C(N, A) x exp(-(N - A) x answer / handling) at or above the "
        "service level and A / N at or below the occupancy cap; required = N / (1 - shrinkage), rounded up."),
    StaffingModel.WORKLOAD: (
        "Workload: arrivals x handling minutes, divided by one agent's productive minutes (open hours x 60 x "
        "occupancy); required = that / (1 - shrinkage), rounded up."),
}


async def put_queue(tx: Tx, process: str, data: QueueWrite) -> Queue:
    row = await repository.get(tx.session, process, for_update=True)
    before = QueueRead.model_validate(row) if row else None
    values = {**data.model_dump(exclude={"team"}), "owning_team": data.team}
    if row is None:
        row = await repository.add(tx.session, Queue(process=process, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        await tx.session.flush()
    await tx.audit("capacity_queue.put", entity_type="capacity_queue", entity_id=process, before=before, after=data)
    return row


async def list_queues(tx: Tx) -> list[Queue]:
    return await repository.all_queues(tx.session)


async def plan(tx: Tx, request: PlanRequest) -> CapacityPlan:
    queue = await repository.get(tx.session, request.process)
    if queue is None:
        raise NotFound(f"queue {request.process} has no staffing parameters: PUT /capacity/queues/{request.process}")
    start = datetime.combine(request.start, datetime.min.time(), UTC)
    since = start - timedelta(weeks=request.history_weeks)
    history = await work_repository.arrivals_per_day(tx.session, process=queue.process, team=queue.owning_team,
                                                     since=since, until=start)
    season = forecast.fit(history, start=since.date(), end=request.start)
    handling, source = await _handling(tx, queue, since=since, until=start)
    agents = [a for a in await org_repository.agents(tx.session, team=queue.owning_team, skill=queue.process)
              if a.subject not in request.leaving]
    days = [_day(queue, season, handling, agents, request, request.start + timedelta(days=i))
            for i in range(request.days)]
    return CapacityPlan(process=queue.process, model=queue.model, model_statement=STATEMENTS[queue.model],
                        handling_minutes=handling, handling_source=source, weekday_means=season.weekday_means,
                        month_end_factor=season.month_end_factor, history_days=season.history_days, days=days)


async def _handling(tx: Tx, queue: Queue, *, since: datetime, until: datetime) -> tuple[Decimal, str]:
    if queue.handling_minutes is not None:
        return Decimal(queue.handling_minutes).quantize(TWO), "configured"
    measured = await work_repository.average_handling(tx.session, process=queue.process, team=queue.owning_team,
                                                      since=since, until=until)
    if not measured:
        raise ValidationFailed("no handling time measured in the history: give the queue's handling_minutes",
                               errors=[{"pointer": "#/process", "detail": "no completed item with a handling time"}])
    return Decimal(str(measured)).quantize(TWO), "measured"


def _day(queue: Queue, season: forecast.Seasonality, handling: Decimal, agents: list[Agent], request: PlanRequest,
         day: date) -> DayPlan:
    arrivals = season.arrivals(day, volume_factor=request.volume_factor)
    open_minutes = Decimal(queue.open_hours) * 60
    workload = arrivals * handling
    traffic: Decimal | None = None
    level: Decimal | None = None
    if queue.model == StaffingModel.ERLANG_C:
        traffic = (arrivals / open_minutes * handling).quantize(Decimal("0.0001"))
        working = erlang.agents_for(float(traffic), handling_minutes=float(handling),
                                    answer_minutes=float(queue.answer_minutes),
                                    target=float(queue.service_level) / 100, max_occupancy=float(queue.occupancy))
        level = Decimal(str(round(100 * erlang.service_level(
            working, float(traffic), handling_minutes=float(handling), answer_minutes=float(queue.answer_minutes)),
            2))) if working else None
        required = math.ceil(Decimal(working) / (1 - Decimal(queue.shrinkage)))
    else:
        productive = workload / (open_minutes * Decimal(queue.occupancy))
        working = int(productive.to_integral_value(rounding=ROUND_CEILING))
        required = int((productive / (1 - Decimal(queue.shrinkage))).to_integral_value(rounding=ROUND_CEILING))
    holiday = day in request.holidays
    rostered = 0 if holiday else len([a for a in agents if a.rostered_on(day)])
    gap = rostered - required
    verdict = f"{-gap} short" if gap < 0 else ("on plan" if gap == 0 else f"{gap} spare")
    summary = (f"{plain(arrivals)} items forecast, {measure(workload / 60, 'hours')} of work: {required} agents "
               f"required, {rostered} rostered{' (holiday)' if holiday else ''} — {verdict}")
    return DayPlan(day=day, month_end=forecast.is_month_end(day), forecast_arrivals=arrivals,
                   workload_hours=(workload / 60).quantize(TWO), traffic_erlangs=traffic, agents_working=working,
                   service_level=level, required_agents=required, rostered_agents=rostered, gap=gap, summary=summary)


async def publish_outlook(tx: Tx, request: OutlookRequest) -> OutlookPublished:
    """Every queue's plan for its next working days, published as ``capacity.outlook_published`` (kpi keeps the
    latest of each queue for the reviews); a queue without a handling time yet is skipped and said so."""
    start = request.start or tx.now().date() + timedelta(days=1)
    calendar_days = min(31, request.working_days + 2 * ((request.working_days + 4) // 5) + 1)
    published, skipped = [], []
    queues = await repository.all_queues(tx.session)
    if not queues:  # nothing set up yet: nothing to publish or to audit
        return OutlookPublished(start=start, published=[], skipped=[])
    for queue in queues:
        try:
            full = await plan(tx, PlanRequest(process=queue.process, start=start, days=calendar_days,
                                              history_weeks=request.history_weeks))
        except ValidationFailed as exc:
            skipped.append(SkippedQueue(process=queue.process, reason=exc.detail or "no plan"))
            continue
        outlook = full.model_copy(update={"days": [d for d in full.days if d.day.isoweekday() <= 5]
                                          [:request.working_days]})
        await tx.emit(CapacityOutlookPublished(
            process=queue.process, team=queue.owning_team, model=queue.model, published_at=tx.now(),
            days=tuple(OutlookDay(day=d.day, forecast_arrivals=d.forecast_arrivals, required_agents=d.required_agents,
                                  rostered_agents=d.rostered_agents, gap=d.gap) for d in outlook.days)))
        published.append(outlook)
    result = OutlookPublished(start=start, published=published, skipped=skipped)
    await tx.audit("capacity_outlook.published", entity_type="capacity_outlook", entity_id=start.isoformat(),
                   after={"queues": [p.process for p in published], "skipped": [s.process for s in skipped]})
    return result
