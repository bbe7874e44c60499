"""Scorecards and ranking per agent, team and vendor: SLA attainment, quality, productivity, backlog age,
attrition and tenure, with the under- and top performers surfaced and the reasons said in words."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from o2c_common.text import measure, plain
from o2c_common.tx import Tx
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.org import repository as org_repository
from o2c_workforce.org.models import Agent
from o2c_workforce.org.service import scoped_team
from o2c_workforce.scorecards import repository
from o2c_workforce.scorecards.schemas import Level, Scorecard, Scorecards
from o2c_workforce.work import repository as work_repository

TWO = Decimal("0.01")
HUNDRED = Decimal(100)
DAYS_PER_MONTH = Decimal("30.44")


@dataclass
class Group:
    key: str
    name: str
    members: list[Agent] = field(default_factory=list)
    team: str | None = None
    vendor: str | None = None


async def scorecards(tx: Tx, *, level: Level, team: str | None, since: date, until: date,
                     settings: WorkforceSettings) -> Scorecards:
    team = scoped_team(tx, team)
    start, end = (datetime.combine(d, datetime.min.time(), UTC) for d in (since, until))
    groups = await _groups(tx, level, team)
    work = await repository.work(tx.session, level=level, team=team, since=start, until=end)
    quality = await repository.quality(tx.session, level=level, team=team, since=start, until=end)
    oldest = await _oldest_open_by_team(tx, team)
    days = [since + timedelta(days=i) for i in range((until - since).days)]
    cards = [_card(level, groups.get(key) or Group(key, key), work.get(key), quality.get(key), oldest, days)
             for key in sorted(set(groups) | set(work))]
    _rank(cards, level, settings)
    return Scorecards(level=level, since=since, until=until, cards=cards, targets={
        "quality": measure(settings.quality_target, "percent"), "sla": measure(settings.sla_target, "percent"),
        "productivity": f"{measure(settings.productivity_floor * HUNDRED, 'percent')} of the median"})


async def _groups(tx: Tx, level: Level, team: str | None) -> dict[str, Group]:
    vendor_of = await org_repository.team_vendors(tx.session)
    team_names = {t.code: t.name for t in await org_repository.teams(tx.session, team=team)}
    vendor_names = {v.code: v.name for v in await org_repository.vendors(tx.session)}
    groups: dict[str, Group] = {}
    for agent in await org_repository.agents(tx.session, team=team):
        vendor = vendor_of.get(agent.owning_team)
        key, name = {"agent": (agent.subject, agent.name),
                     "team": (agent.owning_team, team_names.get(agent.owning_team, agent.owning_team)),
                     "vendor": (vendor, vendor_names.get(vendor or "", vendor))}[level]
        if key is None:
            continue  # an internal team's agent has no vendor
        group = groups.setdefault(key, Group(key, name or key, vendor=vendor,
                                             team=agent.owning_team if level != "vendor" else None))
        group.members.append(agent)
    return groups


async def _oldest_open_by_team(tx: Tx, team: str | None) -> dict[str, Decimal]:
    now = tx.now()
    oldest: dict[str, Decimal] = {}
    for _, owner, _, arrived in await work_repository.backlog(tx.session, team=team):
        if owner is not None:
            hours = (Decimal((now - arrived).total_seconds()) / 3600).quantize(TWO)
            oldest[owner] = max(oldest.get(owner, Decimal(0)), hours)
    return oldest


def _card(level: Level, group: Group, work: tuple[int, int, int, object] | None,
          quality: tuple[int, object] | None, oldest: dict[str, Decimal], days: list[date]) -> Scorecard:
    items, timed, within, avg = work or (0, 0, 0, None)
    agent_days = sum(1 for a in group.members for d in days if a.rostered_on(d))
    last = days[-1]  # the period has at least one day
    employed = [a for a in group.members if a.active_on(last)]
    teams = {a.owning_team for a in group.members} or ({group.key} if level == "team" else set())
    backlog = [oldest[t] for t in teams if t in oldest]
    return Scorecard(
        level=level, key=group.key, name=group.name, team=group.team, vendor=group.vendor, headcount=len(employed),
        items=items, items_per_day=_ratio(items, agent_days),
        average_handling_minutes=None if avg is None else Decimal(str(avg)).quantize(TWO),
        sla_attainment=_ratio(within * 100, timed), quality=_two(quality[1]) if quality else None,
        reviewed=quality[0] if quality else 0, backlog_oldest_hours=max(backlog) if backlog else None,
        attrition=_attrition(group.members, days) if level != "agent" else None,
        tenure_months=_tenure(employed or group.members, last), index=None, rank=None, verdict="steady",
        reasons=[], summary="")


def _attrition(members: list[Agent], days: list[date]) -> Decimal | None:
    if not days:
        return None
    at_start = sum(1 for a in members if a.active_on(days[0]))
    at_end = sum(1 for a in members if a.active_on(days[-1]))
    leavers = sum(1 for a in members if a.exit_date is not None and days[0] < a.exit_date <= days[-1] + timedelta(1))
    average = Decimal(at_start + at_end) / 2
    return (Decimal(leavers) * HUNDRED / average).quantize(TWO) if average else None


def _tenure(agents: list[Agent], last: date) -> Decimal | None:
    spans = [((min(a.exit_date, last) if a.exit_date else last) - a.start_date).days for a in agents]
    return (Decimal(sum(spans)) / len(spans) / DAYS_PER_MONTH).quantize(Decimal("0.1")) if spans else None


def _rank(cards: list[Scorecard], level: Level, settings: WorkforceSettings) -> None:
    peers: dict[str | None, list[Decimal]] = defaultdict(list)
    for card in cards:
        if card.items_per_day is not None:
            peers[card.team if level == "agent" else None].append(card.items_per_day)
    for card in cards:
        median = _median(peers.get(card.team if level == "agent" else None, []))
        card.index, card.reasons = _assess(card, median, settings)
    ranked = sorted((c for c in cards if c.index is not None), key=lambda c: (-c.index, c.key))  # type: ignore[operator]
    top = max(1, math.ceil(len(ranked) / 4))
    for position, card in enumerate(ranked, start=1):
        card.rank = position
        if card.verdict != "under" and position <= top and len(ranked) > 1:
            card.verdict = "top"
    for card in cards:
        card.summary = _summary(card, len(ranked))


def _assess(card: Scorecard, median: Decimal | None,
            settings: WorkforceSettings) -> tuple[Decimal | None, list[str]]:
    under: list[str] = []
    strengths: list[str] = []
    share = None if median in (None, 0) or card.items_per_day is None else card.items_per_day * HUNDRED / median
    for label, value, target in (("Quality", card.quality, settings.quality_target),
                                 ("SLA attainment", card.sla_attainment, settings.sla_target)):
        if value is not None:
            (under if value < target else strengths).append(
                f"{label} {measure(value, 'percent')}" + (f" is below the {measure(target, 'percent')} target"
                                                          if value < target else ""))
    if share is not None:
        text = (f"{plain(card.items_per_day.quantize(TWO))} items a day, "  # type: ignore[union-attr]
                f"{measure(share, 'percent')} of the median ({plain(median.quantize(TWO))})")  # type: ignore[union-attr]
        (under if share < settings.productivity_floor * HUNDRED else strengths).append(text)
    parts = [v for v in (card.quality, card.sla_attainment, None if share is None else min(HUNDRED, share))
             if v is not None]
    index = (sum(parts, Decimal(0)) / len(parts)).quantize(TWO) if parts else None
    card.verdict = "under" if under else "steady"
    return index, under or strengths


def _summary(card: Scorecard, ranked: int) -> str:
    place = f"rank {card.rank} of {ranked}" if card.rank else "not ranked (no measures yet)"
    word = {"top": "a top performer", "under": "under target", "steady": "on target"}[card.verdict]
    return f"{card.name}: {place}, {word}" + (f" — {'; '.join(card.reasons)}" if card.reasons else "")


def _median(values: list[Decimal]) -> Decimal | None:
    return Decimal(statistics.median(values)) if values else None


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    return (Decimal(numerator) / denominator).quantize(TWO) if denominator else None


def _two(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(TWO)
