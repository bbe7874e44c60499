"""Customer-supplied patterns of the portal rules (``po_pattern``, ``invoice_number_pattern``), run with RE2.

RE2 matches in time linear in the input and refuses what needs backtracking (back-references, look-arounds),
so a pattern like ``(a+)+$`` cannot hang a request. Patterns are checked when a billing profile is written
(422 naming the field and RE2's reason) and, should an invalid one be stored anyway (written before this check),
a submission reports it as a rule violation instead of failing."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_LENGTH = 200
_MAX_PROGRAM_BYTES = 1 << 20  # RE2's memory budget for one compiled pattern


class PatternInvalid(ValueError):
    """The pattern is not one RE2 accepts; the message says why."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_PROGRAM_BYTES
    return options


@lru_cache(maxsize=512)
def compiled(pattern: str) -> Any:
    """The compiled pattern (cached); :class:`PatternInvalid` when RE2 refuses it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternInvalid(f"longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise PatternInvalid(text) from None


def validated(pattern: str | None) -> str | None:
    """``pattern`` when RE2 accepts it (for pydantic validators); ValueError with the reason otherwise."""
    if pattern is not None:
        try:
            compiled(pattern)
        except PatternInvalid as exc:
            raise ValueError(f"{pattern!r} is not a supported pattern ({exc}); patterns use RE2 syntax: no "
                             "back-references or look-arounds, repetitions up to {1000}") from None
    return pattern


def full_match(pattern: str, text: str) -> bool:
    """Whether all of ``text`` matches; :class:`PatternInvalid` for a pattern RE2 refuses."""
    return compiled(pattern).fullmatch(text) is not None
