"""Invoice numbers. The live series, ``<entity>-<year>-<NNNNNN>`` (gapless per legal entity and year), is
allocated only at issue (``repository.next_number``). A historical import keeps the number the other system
gave, which must stay outside the live series: a number of that form could already be, or later be, one this
service issues, and then ``issue`` would collide with it (the unique number per entity) or the series would
need a gap. Such an import is refused (422 ``historical-number-in-live-series``)."""

from __future__ import annotations

import re

from o2c_common.errors import UnprocessableEntity

_LIVE_TAIL = re.compile(r"-(\d{4})-(\d{6,})")


class HistoricalNumberInLiveSeries(UnprocessableEntity):
    type = "historical-number-in-live-series"
    title = "Historical number in the live series"


def live_number(legal_entity: str, year: int, sequence: int) -> str:
    """The number the live series gives the ``sequence``-th invoice of ``legal_entity`` in ``year``."""
    return f"{legal_entity}-{year}-{sequence:06d}"


def live_position(legal_entity: str, number: str) -> tuple[int, int] | None:
    """(year, sequence) when ``number`` has the form of ``legal_entity``'s live series; None otherwise."""
    if not number.startswith(f"{legal_entity}-"):
        return None
    found = _LIVE_TAIL.fullmatch(number, len(legal_entity))
    if found is None:
        return None
    year, sequence = int(found.group(1)), int(found.group(2))
    return (year, sequence) if live_number(legal_entity, year, sequence) == number else None


def check_historical(legal_entity: str, number: str) -> None:
    """Refuse a historical number of the live series' form (it is reserved for numbers issued here)."""
    position = live_position(legal_entity, number)
    if position is not None:
        year, _ = position
        raise HistoricalNumberInLiveSeries(
            f"invoice number {number} has the form of the live series of {legal_entity} ({legal_entity}-{year}-"
            "NNNNNN), which is reserved for the numbers issued here; import it under the number its own system gave",
            extensions={"errors": [{"pointer": "#/number", "detail": "reserved for the live series"}]})
