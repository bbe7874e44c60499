"""Which completed items a sampling rule picks: pure functions, deterministic so a replay picks the same items.

A rate rule picks an item when its key's stable bucket (0.00-99.99, from SHA-256) is below the rate; a count rule
picks the first ``count`` items of the agent in the period. An agent on an improvement plan or in hypercare is
sampled at the rule's ``boost`` times the rule, or at a running hypercare window's ``sampling_boost`` when that is
higher (a rate capped at 100 %)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from o2c_workforce.quality.models import Period, SamplingMode, SamplingRule


def bucket(item_key: str) -> Decimal:
    """A stable number in [0, 100) with two decimals for an item key."""
    digest = int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:8], "big")
    return Decimal(digest % 10000) / 100


def period_start(day: date, period: Period) -> date:
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(start: date, period: Period) -> date:
    """The first day after the period starting on ``start``."""
    if period == Period.DAY:
        return start + timedelta(days=1)
    if period == Period.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def most_specific(rules: list[SamplingRule], *, agent: str | None, team: str | None) -> SamplingRule | None:
    """The rule for the agent, else for its team, else for the process."""
    fitting = [r for r in rules if r.agent in (None, agent) and r.owning_team in (None, team)]
    return max(fitting, key=lambda r: (r.agent is not None, r.owning_team is not None), default=None)


def picks(rule: SamplingRule, *, item_key: str, factor: int, taken_in_period: int) -> bool:
    """``factor`` multiplies the rule: 1 normally, more for an agent on a plan or in hypercare."""
    if rule.mode == SamplingMode.RATE:
        return bucket(item_key) < min(Decimal(100), (rule.rate_percent or Decimal(0)) * factor)
    return taken_in_period < (rule.count or 0) * factor
