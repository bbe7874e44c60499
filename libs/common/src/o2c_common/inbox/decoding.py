"""A fetch decoded for the consumer's fast path (and its rows gathered ahead), a slice at a time so that the write in
flight goes on meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord

from o2c_common.events.bundle import MemberRecord
from o2c_common.events.envelope import HISTORY_HEADER, Event, EventDecodeError, plain_headers
from o2c_common.inbox.handlers import AnyHandler, Handlers, gather_ahead
from o2c_common.inbox.records import forgery
from o2c_common.kafka.client import REPLAY_HEADER
from o2c_common.kafka.dead_letters import REPLAY_GROUP_HEADER
from o2c_common.tx import Batches

DECODE_SLICE = 5
"""Records decoded between two turns of the event loop: few, because each of the write's statements resumes only
when the slice in flight yields, and the write is the slower of the two (docs/performance.md)."""

SkipReason = Callable[[str | None, str | None, bool], str | None]
"""Why a group leaves a record alone without decoding it (from its ``o2c_replay_group``, ``ce_type`` and whether it
is imported history), or None."""
Memo = dict[tuple[str, int, int, int | None], Event]
"""A fetch's events decoded so far, by topic, partition, offset and index in a bundle (``checksum``,
``o2c_common.events.bundle.unbundle``): the lanes of a consumer decode each record once."""


@dataclass
class Decoded:
    """A fetch's records, decoded for the fast path: the events to handle and the records this group skips."""

    records: list[ConsumerRecord]
    work: list[tuple[ConsumerRecord, Event, AnyHandler]] = field(default_factory=list)
    skipped: list[tuple[str, str | None]] = field(default_factory=list)
    gathered: Batches | None = None
    """The work's rows gathered ahead (``handlers.gather_ahead``), for a write that finds none of its events claimed
    before; taken at most once."""


async def decode(records: list[ConsumerRecord], handlers: Handlers, skip_reason: SkipReason,
                 memo: Memo | None = None) -> Decoded | None:
    """The records as events with their handlers (and their rows gathered ahead where every handler gathers), or None
    if any has headers out of the ordinary, is undecodable, a replay, refused or has no handler (the careful path
    deals with those record by record)."""
    decoded = Decoded(records)
    for i, record in enumerate(records, 1):
        if i % DECODE_SLICE == 0:
            await asyncio.sleep(0)
        text = record.text_headers if type(record) is MemberRecord else None  # a bundle's member: read already
        plain = _plain_type(record.headers) if text is None else _plain_text_type(text)
        if plain is not None and (reason := skip_reason(None, *plain)) is not None:
            decoded.skipped.append((reason, plain[0]))  # another group's business, its other headers unread
            continue
        headers = plain_headers(record.headers) if text is None else text  # read once, for the routing and the event
        if headers is None:
            return None
        ce_type = headers.get("ce_type")
        reason = skip_reason(headers.get(REPLAY_GROUP_HEADER), ce_type, HISTORY_HEADER in headers)
        if reason is not None:
            decoded.skipped.append((reason, ce_type))
            continue
        if REPLAY_HEADER in headers:
            return None
        at = (record.topic, record.partition, record.offset, record.checksum)
        event = memo.get(at) if memo is not None else None
        if event is None:
            try:
                event = Event.from_headers(record.value, headers)
            except EventDecodeError:
                return None
            if memo is not None:
                memo[at] = event
        handler = handlers.get(type(event.data))
        if handler is None or forgery(event, record.topic) is not None:
            return None
        decoded.work.append((record, event, handler))
    decoded.gathered = await gather_ahead([(event, handler) for _, event, handler in decoded.work])
    return decoded


def _plain_text_type(headers: dict[str, str]) -> tuple[str, bool] | None:
    """:func:`_plain_type` of a bundle member's headers, read as text already."""
    ce_type = headers.get("ce_type")
    return None if ce_type is None or REPLAY_GROUP_HEADER in headers else (ce_type, HISTORY_HEADER in headers)


def _plain_type(headers: object) -> tuple[str, bool] | None:
    """A record's ``ce_type`` and whether it is imported history, read without decoding its other headers (most of
    what a group fetches is another group's business), if its headers are plain pairs, each name once, and it is not
    replayed for a group; else None, and the record is read in full."""
    if type(headers) is not list and type(headers) is not tuple:
        return None
    try:
        named = dict(headers)
    except (TypeError, ValueError):
        return None
    ce_type = named.get("ce_type")
    if type(ce_type) is not bytes or len(named) != len(headers) or REPLAY_GROUP_HEADER in named:
        return None
    return ce_type.decode(errors="replace"), HISTORY_HEADER in named
