"""The vocabulary of a case: its statuses, tiers, lifecycle transitions and resolutions."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_REQUESTER = "waiting_on_requester"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_REQUESTER)
DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


def next_tier(tier: str) -> Tier | None:
    """The tier a case at ``tier`` escalates to; None at the top."""
    tiers = list(Tier)
    index = tiers.index(Tier(tier))
    return tiers[index + 1] if index + 1 < len(tiers) else None


class Transition(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    WAIT_ON_REQUESTER = "wait_on_requester"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


class Resolution(StrEnum):
    FIXED = "fixed"
    WORKAROUND = "workaround"
    NO_ACTION_NEEDED = "no_action_needed"
    DUPLICATE = "duplicate"
    CANNOT_FIX = "cannot_fix"


TRANSITIONS: dict[Transition, tuple[frozenset[CaseStatus], CaseStatus]] = {
    Transition.ACKNOWLEDGE: (frozenset({CaseStatus.OPEN}), CaseStatus.ACKNOWLEDGED),
    Transition.START: (frozenset({CaseStatus.ACKNOWLEDGED}), CaseStatus.IN_PROGRESS),
    Transition.WAIT_ON_REQUESTER: (frozenset({CaseStatus.IN_PROGRESS}), CaseStatus.WAITING_ON_REQUESTER),
    Transition.RESUME: (frozenset({CaseStatus.WAITING_ON_REQUESTER}), CaseStatus.IN_PROGRESS),
    Transition.RESOLVE: (frozenset({CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS,
                                    CaseStatus.WAITING_ON_REQUESTER}), CaseStatus.RESOLVED),
    Transition.CLOSE: (frozenset({CaseStatus.RESOLVED}), CaseStatus.CLOSED),
    Transition.REOPEN: (frozenset({CaseStatus.RESOLVED}), CaseStatus.IN_PROGRESS),
}
REQUESTER_TRANSITIONS = frozenset({Transition.RESUME, Transition.CLOSE, Transition.REOPEN})
"""What the requester of a case may do besides its staff: answer, accept the resolution, or reopen."""
